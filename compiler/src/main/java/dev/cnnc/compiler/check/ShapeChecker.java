package dev.cnnc.compiler.check;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.LayerSpec;
import dev.cnnc.compiler.layers.ShapeRules;
import dev.cnnc.compiler.layers.Softmax;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.JoinKind;
import dev.cnnc.compiler.model.LayerNode;
import dev.cnnc.compiler.model.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 3: shapes through every layer, parameter counts and FLOPs. A shape error ends the
 * path it is on (nothing after it has a known shape); it is reported with the trail of
 * shapes that led to it.
 */
public final class ShapeChecker {
    /** Java arrays are int-indexed: no tensor of one example, and no weight tensor, may be larger. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    /** Result of walking the layers: null nodes when a shape error stopped the walk. */
    public record Result(List<CheckedNode> nodes, long trainable, long nonTrainable, long flops, long activationElements) {
    }

    private final Diagnostics diagnostics;
    private final Map<String, Integer> counters = new HashMap<>();
    private final List<String> trail = new ArrayList<>();
    private long trainable;
    private long nonTrainable;
    private long flops;
    private long activations;

    private ShapeChecker(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    public static Result check(Shape input, List<LayerNode> layers, Diagnostics diagnostics) {
        ShapeChecker checker = new ShapeChecker(diagnostics);
        checker.trail.add(input.toString());
        checker.activations = input.elements();
        List<CheckedNode> nodes = new ArrayList<>();
        Shape out = checker.walk(input, layers, nodes);
        if (out == null) {
            return new Result(null, 0, 0, 0, 0);
        }
        checker.warnMisplacedSoftmax(layers);
        return new Result(nodes, checker.trainable, checker.nonTrainable, checker.flops, checker.activations);
    }

    private Shape walk(Shape shape, List<LayerNode> layers, List<CheckedNode> out) {
        for (LayerNode node : layers) {
            if (node instanceof LayerNode.Layer l) {
                shape = layer(shape, l, out);
            } else if (node instanceof LayerNode.Residual r) {
                shape = residual(shape, r, out);
            } else if (node instanceof LayerNode.Join j) {
                shape = join(shape, j, out);
            } else {
                return null; // LayerNode.Unreadable: already reported
            }
            if (shape == null) {
                return null;
            }
        }
        return shape;
    }

    private Shape layer(Shape in, LayerNode.Layer node, List<CheckedNode> out) {
        LayerSpec spec = node.spec();
        ShapeRules rules = (hint, kind, args) -> {
            Diagnostics.Builder b = diagnostics.at(node.span(), kind, args).note("shapes so far: " + trailText());
            if (node.via() != null) {
                b.note(node.via());
            }
            if (hint != null) {
                b.hint(hint);
            }
            b.report();
            return null;
        };
        try {
            Shape shape = spec.outputShape(in, rules);
            if (shape == null) {
                return null;
            }
            if (shape.elements() > MAX_ELEMENTS) {
                return tooLarge(node, spec, "the output " + shape, shape.elements());
            }
            long params = spec.trainableParams(in);
            long state = spec.nonTrainableParams(in);
            if (params > MAX_ELEMENTS) {
                return tooLarge(node, spec, "the weights", params);
            }
            long f = spec.flops(in, shape);
            trainable = Math.addExact(trainable, params);
            nonTrainable = Math.addExact(nonTrainable, state);
            flops = Math.addExact(flops, f);
            activations = Math.addExact(activations, shape.elements());
            out.add(new CheckedNode.Layer(nextName(spec.kind()), spec, node.span(), in, shape, params, state, f));
            trail.add(spec.kind() + " " + shape);
            return shape;
        } catch (ArithmeticException overflow) {
            diagnostics.at(node.span(), DiagnosticKind.SIZE_OVERFLOW, spec.describe(), "the layer")
                    .note("shapes so far: " + trailText()).hint("use smaller sizes").report();
            return null;
        }
    }

    private Shape tooLarge(LayerNode.Layer node, LayerSpec spec, String what, long elements) {
        diagnostics.at(node.span(), DiagnosticKind.TENSOR_TOO_LARGE, spec.describe(), what, String.format("%,d", elements), MAX_ELEMENTS)
                .note("shapes so far: " + trailText()).hint("downsample earlier or use fewer filters or units").report();
        return null;
    }

    /**
     * A convolution that maps {@code in} to {@code out} by torch's size rule, floor((n + 2p - k) / s) + 1
     * on each axis: 1x1 when one can (a ResNet projection), else the smallest kernel; null when none
     * can (the hint then names only the shapes). Every hint it makes fixes the error when applied.
     */
    static String projection(Shape in, Shape out) {
        long ih = in.height(), iw = in.width(), oh = out.height(), ow = out.width();
        for (long k = 1; k <= Math.max(ih, iw) && k <= 64; k++) {
            for (long s = 1; s <= Math.max(ih, iw) && s <= 64; s++) {
                for (long p = 0; p <= k / 2; p++) {
                    long kh = Math.min(k, ih + 2 * p), kw = Math.min(k, iw + 2 * p);
                    if ((ih + 2 * p - kh) / s + 1 == oh && (iw + 2 * p - kw) / s + 1 == ow) {
                        String kernel = kh == kw ? kh + "x" + kh : kh + "x" + kw;
                        return "conv " + out.channels() + " " + kernel + (s > 1 ? " stride " + s : "") + (p > 0 ? " pad " + p : "") + " nobias";
                    }
                }
            }
        }
        return null;
    }

    private Shape residual(Shape in, LayerNode.Residual r, List<CheckedNode> out) {
        String name = nextName("residual");
        List<CheckedNode> main = new ArrayList<>();
        List<CheckedNode> shortcut = new ArrayList<>();
        Shape mainOut = walk(in, r.main(), main);
        if (mainOut == null) {
            return null;
        }
        Shape shortcutOut = r.shortcut() == null ? in : walk(in, r.shortcut(), shortcut);
        if (shortcutOut == null) {
            return null;
        }
        if (!mainOut.equals(shortcutOut)) {
            Span mainEnd = r.main().isEmpty() ? r.span() : r.main().get(r.main().size() - 1).span();
            String shortcutText = r.shortcut() == null
                    ? "there is no shortcut, so the input " + in + " is added"
                    : "the shortcut ends in " + shortcutOut + " (line " + lastLine(r.shortcut(), r.shortcutSpan()) + ")";
            String projection = in.flat() || mainOut.flat() ? null : projection(in, mainOut);
            String hint = r.shortcut() == null
                    ? "add 'shortcut { ... }' after the block that maps " + in + " to " + mainOut
                    + (projection == null ? "" : ", e.g. shortcut { " + projection + " }")
                    : "make both paths end in the same shape";
            diagnostics.at(r.span(), DiagnosticKind.RESIDUAL_SHAPE_MISMATCH,
                            "the main path ends in " + mainOut + " (line " + mainEnd.line() + "), " + shortcutText)
                    .note("shapes so far: " + trailText()).hint(hint).report();
            return null;
        }
        long add = mainOut.elements();
        flops = Math.addExact(flops, add);
        activations = Math.addExact(activations, add);
        out.add(new CheckedNode.Residual(name, r.span(), in, mainOut, main, shortcut, add));
        trail.add("residual " + mainOut);
        return mainOut;
    }

    private Shape join(Shape in, LayerNode.Join j, List<CheckedNode> out) {
        String word = j.kind().word();
        if (j.paths().size() < 2) {
            diagnostics.at(j.span(), DiagnosticKind.JOIN_NEEDS_PATHS, word, j.paths().size())
                    .hint("give each path its own braces, e.g. " + word + " { conv 8 1x1 } { conv 8 3x3 pad same }; an empty { } is the input itself")
                    .report();
            return null;
        }
        String name = nextName(word);
        List<List<CheckedNode>> paths = new ArrayList<>();
        List<Shape> ends = new ArrayList<>();
        for (List<LayerNode> path : j.paths()) {
            List<CheckedNode> checked = new ArrayList<>();
            Shape end = walk(in, path, checked);
            if (end == null) {
                return null;
            }
            paths.add(checked);
            ends.add(end);
        }
        Shape joined = joinedShape(j.kind(), ends);
        if (joined == null) {
            StringBuilder shapes = new StringBuilder();
            for (int p = 0; p < ends.size(); p++) {
                shapes.append(p == 0 ? "" : ", ").append("path ").append(p + 1).append(" ").append(ends.get(p))
                        .append(" (line ").append(lastLine(j.paths().get(p), j.pathSpans().get(p))).append(")");
            }
            diagnostics.at(j.span(), DiagnosticKind.JOIN_SHAPE_MISMATCH, word, shapes.toString())
                    .note("shapes so far: " + trailText()).hint(JoinFixes.of(j.kind(), paths, ends).orElseGet(() -> joinHint(j.kind(), ends))).report();
            return null;
        }
        long own = j.kind() == JoinKind.CONCAT ? 0 : Math.multiplyExact(joined.elements(), ends.size() - 1L);
        flops = Math.addExact(flops, own);
        activations = Math.addExact(activations, joined.elements());
        out.add(new CheckedNode.Join(name, j.span(), j.kind(), in, joined, paths, ends, own));
        trail.add(word + " " + joined);
        return joined;
    }

    /** The shape the paths join into, or null when they do not. */
    static Shape joinedShape(JoinKind kind, List<Shape> ends) {
        Shape first = ends.get(0);
        switch (kind) {
            case ADD -> {
                return ends.stream().allMatch(first::equals) ? first : null;
            }
            case CONCAT -> {
                long channels = 0;
                for (Shape s : ends) {
                    if (s.flat() != first.flat() || (!s.flat() && (s.height() != first.height() || s.width() != first.width()))) {
                        return null;
                    }
                    channels = Math.addExact(channels, s.channels());
                }
                return first.flat() ? Shape.flat(channels) : Shape.spatial(first.height(), first.width(), channels);
            }
            default -> {
                // the full-size paths must agree; 1x1xC paths broadcast over them (a gate of C channels)
                Shape full = ends.stream().filter(s -> !isGate(s)).findFirst().orElse(first);
                for (Shape s : ends) {
                    boolean fits = s.equals(full) || (isGate(s) && !full.flat() && s.channels() == full.channels());
                    if (!fits) {
                        return null;
                    }
                }
                return full;
            }
        }
    }

    private static boolean isGate(Shape s) {
        return !s.flat() && s.height() == 1 && s.width() == 1;
    }

    private static String joinHint(JoinKind kind, List<Shape> ends) {
        return switch (kind) {
            case CONCAT -> "concat puts channels side by side: every path must end in the same HxW (here "
                    + ends.stream().map(s -> s.flat() ? s + " features" : s.height() + "x" + s.width()).distinct().toList()
                    + "); pad same keeps a 3x3 or 5x5 conv's size, and a pool's stride changes it";
            case ADD -> "add needs every path to end in the same shape; a 1x1 conv to the same channels (with the same stride) matches them";
            case MULTIPLY -> "multiply needs the same shape in every path, or a 1x1xC path (globalavgpool; ...; conv C 1x1) to gate C channels";
        };
    }

    private static int lastLine(List<LayerNode> nodes, Span orElse) {
        return nodes.isEmpty() ? (orElse == null ? 0 : orElse.line()) : nodes.get(nodes.size() - 1).span().line();
    }

    private String nextName(String kind) {
        int n = counters.merge(kind, 1, Integer::sum);
        return kind + n;
    }

    /** The trail, eliding the middle of long ones: "28x28x1 -> conv 26x26x32 -> ... -> maxpool 1x1x64". */
    private String trailText() {
        if (trail.size() <= 6) {
            return String.join(" -> ", trail);
        }
        return String.join(" -> ", trail.subList(0, 3)) + " -> ... -> " + String.join(" -> ", trail.subList(trail.size() - 2, trail.size()));
    }

    private void warnMisplacedSoftmax(List<LayerNode> layers) {
        for (int i = 0; i < layers.size() - 1; i++) {
            if (layers.get(i) instanceof LayerNode.Layer l && l.spec() instanceof Softmax) {
                diagnostics.at(l.span(), DiagnosticKind.SOFTMAX_NOT_LAST)
                        .hint("softmax belongs at the end; cross_entropy applies it for you").report();
            }
        }
    }
}
