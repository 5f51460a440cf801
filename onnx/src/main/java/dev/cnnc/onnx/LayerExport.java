package dev.cnnc.onnx;

import static dev.cnnc.onnx.GraphBuilder.integer;
import static dev.cnnc.onnx.GraphBuilder.ints;
import static dev.cnnc.onnx.GraphBuilder.real;
import static dev.cnnc.onnx.GraphBuilder.text;

import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.ConvTranspose;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.layers.Flatten;
import dev.cnnc.compiler.layers.GlobalPool;
import dev.cnnc.compiler.layers.PRelu;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.layers.Shuffle;
import dev.cnnc.compiler.layers.Softmax;
import dev.cnnc.compiler.layers.Split;
import dev.cnnc.compiler.layers.Upsample;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One layer as ONNX nodes, in inference semantics (batchnorm with its running statistics,
 * dropout the identity). A new layer kind is a new case here. Tensors keep cnnc's (and
 * PyTorch's) names: conv1.weight, batchnorm1.running_var.
 */
final class LayerExport {
    private LayerExport() {
    }

    /** Adds the nodes of {@code l} reading value {@code x}; returns the name of its output. */
    static String emit(CheckedNode.Layer l, String x, GraphBuilder g, Map<String, Map.Entry<int[], float[]>> tensors) {
        String name = l.name();
        if (l.spec() instanceof Conv c) {
            int[] s = c.sides(); // top bottom left right; ONNX: begins (top, left) then ends (bottom, right)
            List<String> in = new ArrayList<>(List.of(x, weight(g, tensors, name + ".weight")));
            if (c.bias()) {
                in.add(weight(g, tensors, name + ".bias"));
            }
            return g.node("Conv", name, in, ints("kernel_shape", c.kernelHeight(), c.kernelWidth()), ints("strides", c.strideHeight(), c.strideWidth()),
                    ints("pads", s[0], s[2], s[1], s[3]), ints("dilations", c.dilationHeight(), c.dilationWidth()), integer("group", c.groups()));
        }
        if (l.spec() instanceof ConvTranspose t) {
            return convTranspose(l, t, x, g, tensors);
        }
        if (l.spec() instanceof Dense d) {
            List<String> in = new ArrayList<>(List.of(x, weight(g, tensors, name + ".weight")));
            if (d.bias()) {
                in.add(weight(g, tensors, name + ".bias"));
            }
            return g.node("Gemm", name, in, integer("transB", 1));
        }
        if (l.spec() instanceof BatchNorm b) {
            return g.node("BatchNormalization", name, List.of(x, weight(g, tensors, name + ".weight"), weight(g, tensors, name + ".bias"),
                    weight(g, tensors, name + ".running_mean"), weight(g, tensors, name + ".running_var")), real("epsilon", b.eps()),
                    real("momentum", 1 - b.momentum()));
        }
        if (l.spec() instanceof Pool p) {
            return pool(l, p, x, g);
        }
        if (l.spec() instanceof GlobalPool p) {
            return g.node(p.max() ? "GlobalMaxPool" : "GlobalAveragePool", name, List.of(x));
        }
        if (l.spec() instanceof Flatten) {
            return g.node("Flatten", name, List.of(x), integer("axis", 1));
        }
        if (l.spec() instanceof Dropout) {
            return g.node("Identity", name, List.of(x));
        }
        if (l.spec() instanceof Softmax) {
            return g.node("Softmax", name, List.of(x), integer("axis", 1));
        }
        if (l.spec() instanceof Upsample u) {
            String scales = g.floats(name + ".scales", new long[] {4}, new float[] {1, 1, u.factor(), u.factor()});
            return u.bilinear()
                    ? g.node("Resize", name, List.of(x, "", scales), text("mode", "linear"), text("coordinate_transformation_mode", "pytorch_half_pixel"))
                    : g.node("Resize", name, List.of(x, "", scales), text("mode", "nearest"), text("coordinate_transformation_mode", "asymmetric"),
                    text("nearest_mode", "floor"));
        }
        if (l.spec() instanceof Shuffle s) {
            Shape in = l.input();
            long c = in.channels();
            String grouped = g.node("Reshape", name + "/groups", List.of(x, g.longs(name + ".grouped", 0, s.groups(), c / s.groups(), in.height(), in.width())));
            String swapped = g.node("Transpose", name + "/swap", List.of(grouped), ints("perm", 0, 2, 1, 3, 4));
            return g.node("Reshape", name, List.of(swapped, g.longs(name + ".shape", 0, c, in.height(), in.width())));
        }
        if (l.spec() instanceof Split s) {
            long per = l.input().channels() / s.parts();
            return g.node("Slice", name, List.of(x, g.longs(name + ".starts", s.take() * per), g.longs(name + ".ends", (s.take() + 1) * per),
                    g.longs(name + ".axes", 1)));
        }
        if (l.spec() instanceof PRelu p) {
            Map.Entry<int[], float[]> w = tensor(tensors, name + ".weight");
            // ONNX broadcasts the slope from the right: one a channel of NCHW is [C, 1, 1]
            long[] dims = l.input().flat() || w.getValue().length == 1 ? new long[] {w.getValue().length} : new long[] {w.getValue().length, 1, 1};
            return g.node("PRelu", name, List.of(x, g.floats(name + ".weight", dims, w.getValue())));
        }
        if (l.spec() instanceof Activation a) {
            return activation(name, a, x, g);
        }
        throw new IllegalStateException("no ONNX export for " + l.spec().kind() + " (add a case to LayerExport)");
    }

    private static String activation(String name, Activation a, String x, GraphBuilder g) {
        return switch (a.function()) {
            case RELU -> g.node("Relu", name, List.of(x));
            case LEAKYRELU -> g.node("LeakyRelu", name, List.of(x), real("alpha", a.slope()));
            case SIGMOID -> g.node("Sigmoid", name, List.of(x));
            case TANH -> g.node("Tanh", name, List.of(x));
            case ELU -> g.node("Elu", name, List.of(x), real("alpha", a.slope()));
            case RELU6 -> g.node("Clip", name, List.of(x, g.scalar(name + ".min", 0), g.scalar(name + ".max", 6)));
            case HARDSIGMOID -> g.node("HardSigmoid", name, List.of(x), real("alpha", 1.0 / 6), real("beta", 0.5));
            case HARDSWISH -> g.opset >= 14 ? g.node("HardSwish", name, List.of(x))
                    : g.node("Mul", name, List.of(x, g.node("HardSigmoid", name + "/gate", List.of(x), real("alpha", 1.0 / 6), real("beta", 0.5))));
            case SILU -> g.node("Mul", name, List.of(x, g.node("Sigmoid", name + "/gate", List.of(x))));
            case GELU -> {
                // x * (1 + erf(x / sqrt 2)) / 2, as torch's exact gelu
                String erf = g.node("Erf", name + "/erf", List.of(g.node("Div", name + "/scaled", List.of(x, g.scalar(name + ".sqrt2", (float) Math.sqrt(2))))));
                String half = g.node("Mul", name + "/half", List.of(x, g.scalar(name + ".half", 0.5f)));
                yield g.node("Mul", name, List.of(half, g.node("Add", name + "/one", List.of(erf, g.scalar(name + ".one", 1)))));
            }
            case GELU_TANH -> {
                // x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) / 2, torch's approximate="tanh"
                String cube = g.node("Mul", name + "/cube", List.of(x, g.node("Mul", name + "/square", List.of(x, x))));
                String inner = g.node("Add", name + "/inner", List.of(x, g.node("Mul", name + "/cubic", List.of(cube, g.scalar(name + ".k", 0.044715f)))));
                String t = g.node("Tanh", name + "/tanh", List.of(g.node("Mul", name + "/arg", List.of(inner,
                        g.scalar(name + ".c", (float) Math.sqrt(2 / Math.PI))))));
                String half = g.node("Mul", name + "/half", List.of(x, g.scalar(name + ".half", 0.5f)));
                yield g.node("Mul", name, List.of(half, g.node("Add", name + "/one", List.of(t, g.scalar(name + ".one", 1)))));
            }
        };
    }

    /**
     * A transposed conv without ONNX's output_padding, which ONNX Runtime applies differently from
     * PyTorch once the kernel is dilated: output_padding rows are rows of the untrimmed output, kept
     * by trimming less at the end; past the untrimmed output they hold only the bias, so zeros are
     * padded there and the bias added after.
     */
    private static String convTranspose(CheckedNode.Layer l, ConvTranspose t, String x, GraphBuilder g,
                                        Map<String, Map.Entry<int[], float[]>> tensors) {
        String name = l.name();
        long endH = t.padHeight() - t.outPadHeight(), endW = t.padWidth() - t.outPadWidth();
        boolean beyond = endH < 0 || endW < 0;
        List<String> in = new ArrayList<>(List.of(x, weight(g, tensors, name + ".weight")));
        if (t.bias() && !beyond) {
            in.add(weight(g, tensors, name + ".bias"));
        }
        String y = g.node("ConvTranspose", beyond ? name + "/product" : name, in, ints("kernel_shape", t.kernelHeight(), t.kernelWidth()),
                ints("strides", t.strideHeight(), t.strideWidth()), ints("pads", t.padHeight(), t.padWidth(), Math.max(0, endH), Math.max(0, endW)),
                ints("dilations", t.dilationHeight(), t.dilationWidth()), integer("group", t.groups()));
        if (!beyond) {
            return y;
        }
        String padded = g.node("Pad", t.bias() ? name + "/pad" : name, List.of(y, g.longs(name + ".pads", 0, 0, 0, 0, 0, 0, Math.max(0, -endH),
                Math.max(0, -endW))), text("mode", "constant"));
        if (!t.bias()) {
            return padded;
        }
        Map.Entry<int[], float[]> b = tensor(tensors, name + ".bias");
        return g.node("Add", name, List.of(padded, g.floats(name + ".bias", new long[] {b.getValue().length, 1, 1}, b.getValue())));
    }

    /**
     * Pools without ONNX's ceil_mode (whose last-window rule readers apply differently): the input
     * padded explicitly, by the pool's padding plus what a ceil-mode window reaches past it, and
     * pooled in floor mode. Max pools pad with -inf; average pools pad with zeros that count (torch's
     * count_include_pad) and take the ceil-mode overhang as ONNX padding that does not count.
     */
    private static String pool(CheckedNode.Layer l, Pool p, String x, GraphBuilder g) {
        String name = l.name();
        int[] s = p.sides();
        Shape in = l.input(), out = l.output();
        long extraH = Math.max(0, (out.height() - 1) * p.strideHeight() + p.kernelHeight() - (in.height() + s[0] + s[1]));
        long extraW = Math.max(0, (out.width() - 1) * p.strideWidth() + p.kernelWidth() - (in.width() + s[2] + s[3]));
        if (p.op() == Pool.Op.AVG) {
            String padded = x;
            if (s[0] + s[1] + s[2] + s[3] > 0) {
                padded = g.node("Pad", name + "/pad", List.of(x, g.longs(name + ".pads", 0, 0, s[0], s[2], 0, 0, s[1], s[3])), text("mode", "constant"));
            }
            return g.node("AveragePool", name, List.of(padded), ints("kernel_shape", p.kernelHeight(), p.kernelWidth()),
                    ints("strides", p.strideHeight(), p.strideWidth()), ints("pads", 0, 0, extraH, extraW), integer("count_include_pad", 0));
        }
        String v = p.op() == Pool.Op.MIN ? g.node("Neg", name + "/neg", List.of(x)) : x;
        long bottom = s[1] + extraH, right = s[3] + extraW;
        if (s[0] + bottom + s[2] + right > 0) {
            v = g.node("Pad", name + "/pad", List.of(v, g.longs(name + ".pads", 0, 0, s[0], s[2], 0, 0, bottom, right),
                    g.scalar(name + ".fill", Float.NEGATIVE_INFINITY)), text("mode", "constant"));
        }
        String pooled = g.node("MaxPool", p.op() == Pool.Op.MIN ? name + "/max" : name, List.of(v), ints("kernel_shape", p.kernelHeight(), p.kernelWidth()),
                ints("strides", p.strideHeight(), p.strideWidth()));
        return p.op() == Pool.Op.MIN ? g.node("Neg", name, List.of(pooled)) : pooled;
    }

    private static String weight(GraphBuilder g, Map<String, Map.Entry<int[], float[]>> tensors, String name) {
        Map.Entry<int[], float[]> t = tensor(tensors, name);
        long[] dims = new long[t.getKey().length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getKey()[i];
        }
        return g.floats(name, dims, t.getValue());
    }

    private static Map.Entry<int[], float[]> tensor(Map<String, Map.Entry<int[], float[]>> tensors, String name) {
        Map.Entry<int[], float[]> t = tensors.get(name);
        if (t == null) {
            throw new IllegalStateException("no tensor " + name + " (OnnxExport checks the weights first)");
        }
        return t;
    }
}
