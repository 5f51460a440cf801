package dev.cnnc.compiler.check;

import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.JoinKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.Padding;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The edit that makes a join's paths fit, when one layer explains the mismatch: an unpadded
 * stride-1 conv that shrank a concat path (pad it same), or a gate's last conv with the wrong
 * number of filters (give it one a channel). Each fix names the line and the layer as it should
 * read, so that applying it makes the join check.
 */
final class JoinFixes {
    private JoinFixes() {
    }

    static Optional<String> of(JoinKind kind, List<List<CheckedNode>> paths, List<Shape> ends) {
        return switch (kind) {
            case CONCAT -> concat(paths, ends);
            case MULTIPLY -> gate(paths, ends);
            case ADD -> Optional.empty();
        };
    }

    /** The HxW most paths end in (the largest on a tie: padding only grows a path); the others are padded to it. */
    private static Optional<String> concat(List<List<CheckedNode>> paths, List<Shape> ends) {
        if (ends.stream().anyMatch(Shape::flat)) {
            return Optional.empty();
        }
        Shape target = ends.get(0);
        long best = 0;
        for (Shape s : ends) {
            long count = ends.stream().filter(e -> e.height() == s.height() && e.width() == s.width()).count();
            if (count > best || (count == best && s.height() * s.width() > target.height() * target.width())) {
                best = count;
                target = s;
            }
        }
        List<String> fixes = new ArrayList<>();
        for (int p = 0; p < ends.size(); p++) {
            Shape end = ends.get(p);
            long dh = target.height() - end.height(), dw = target.width() - end.width();
            if (dh == 0 && dw == 0) {
                continue;
            }
            Optional<String> fix = Optional.empty();
            for (CheckedNode n : paths.get(p)) {
                if (n instanceof CheckedNode.Layer l && l.spec() instanceof Conv c && c.strideHeight() == 1 && c.strideWidth() == 1
                        && c.padding().none() && c.spanHeight() - 1 == dh && c.spanWidth() - 1 == dw && dh % 2 == 0 && dw % 2 == 0) {
                    Conv padded = new Conv(c.filters(), c.kernelHeight(), c.kernelWidth(), 1, 1, Padding.SAME, c.bias(), c.groups(),
                            c.dilationHeight(), c.dilationWidth());
                    fix = Optional.of("change '" + c.describe() + "' on line " + l.span().line() + " to '" + padded.describe() + "' (path "
                            + (p + 1) + " then ends in " + target.height() + "x" + target.width() + ", as the others)");
                }
            }
            if (fix.isEmpty()) {
                return Optional.empty();
            }
            fixes.add(fix.get());
        }
        return fixes.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", fixes));
    }

    /** A 1x1xG gate against an HxWxC path: its last conv of G filters should have C. */
    private static Optional<String> gate(List<List<CheckedNode>> paths, List<Shape> ends) {
        Shape full = ends.stream().filter(s -> !(s.height() == 1 && s.width() == 1)).findFirst().orElse(null);
        if (full == null || full.flat()) {
            return Optional.empty();
        }
        List<String> fixes = new ArrayList<>();
        for (int p = 0; p < ends.size(); p++) {
            Shape end = ends.get(p);
            boolean gate = !end.flat() && end.height() == 1 && end.width() == 1;
            if (end.equals(full) || (gate && end.channels() == full.channels())) {
                continue;
            }
            if (!gate) {
                return Optional.empty(); // two full-size paths that differ: no one-layer edit
            }
            CheckedNode.Layer last = null;
            for (CheckedNode n : paths.get(p)) {
                if (n instanceof CheckedNode.Layer l && l.spec() instanceof Conv c && c.filters() == end.channels() && c.groups() == 1) {
                    last = l;
                }
            }
            if (last == null) {
                return Optional.empty();
            }
            Conv c = (Conv) last.spec();
            Conv wide = new Conv((int) full.channels(), c.kernelHeight(), c.kernelWidth(), c.strideHeight(), c.strideWidth(), c.padding(),
                    c.bias(), 1, c.dilationHeight(), c.dilationWidth());
            fixes.add("change '" + c.describe() + "' on line " + last.span().line() + " to '" + wide.describe() + "' (a gate needs one value for each of the "
                    + full.channels() + " channels it multiplies)");
        }
        return fixes.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", fixes));
    }
}
