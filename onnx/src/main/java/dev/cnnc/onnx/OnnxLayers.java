package dev.cnnc.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.NodeProto;

/** One ONNX node as a cnnc layer line and its tensors, or the join it is; a node cnnc cannot express is refused with the reason. */
final class OnnxLayers {
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private OnnxLayers() {
    }

    static ImportedLayer layer(NodeProto n, OnnxGraph g) throws Refused {
        Map<String, AttributeProto> a = OnnxGraph.attributes(n);
        return switch (n.getOpType()) {
            case "Conv" -> conv(n, a, g);
            case "ConvTranspose" -> convTranspose(n, a, g);
            case "Gemm" -> gemm(n, a, g);
            case "BatchNormalization" -> {
                Map<String, OnnxGraph.Constant> t = new LinkedHashMap<>();
                String[] names = {"weight", "bias", "running_mean", "running_var"};
                for (int i = 0; i < 4; i++) {
                    t.put(names[i], floats(g, n, i + 1, names[i]));
                }
                double eps = a.containsKey("epsilon") ? a.get("epsilon").getF() : 1e-5;
                double momentum = a.containsKey("momentum") ? 1 - a.get("momentum").getF() : 0.1;
                yield ImportedLayer.layer("batchnorm" + (Math.abs(momentum - 0.1) > 1e-6 ? " momentum " + number(momentum) : "")
                        + (Math.abs(eps - 1e-5) > 1e-9 ? " eps " + number(eps) : ""), t);
            }
            case "MaxPool", "AveragePool" -> pool(n, a, g.padsBefore.get(n));
            case "GlobalAveragePool" -> plain("globalavgpool");
            case "GlobalMaxPool" -> plain("globalmaxpool");
            case "Flatten" -> {
                if (a.containsKey("axis") && a.get("axis").getI() != 1) {
                    throw new Refused("axis " + a.get("axis").getI() + ": cnnc's flatten keeps the batch axis only (axis 1)");
                }
                yield plain("flatten");
            }
            case "Relu" -> plain("relu");
            case "Sigmoid" -> plain("sigmoid");
            case "Tanh" -> plain("tanh");
            case "HardSwish" -> plain("hardswish");
            case "HardSigmoid" -> {
                double alpha = a.containsKey("alpha") ? a.get("alpha").getF() : 0.2, beta = a.containsKey("beta") ? a.get("beta").getF() : 0.5;
                if (Math.abs(alpha - 1.0 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
                    throw new Refused("alpha " + alpha + ", beta " + beta + ": cnnc's hardsigmoid is torch's (alpha 1/6, beta 1/2)");
                }
                yield plain("hardsigmoid");
            }
            case "LeakyRelu" -> plain("leakyrelu " + number(a.containsKey("alpha") ? a.get("alpha").getF() : 0.01));
            case "Elu" -> plain("elu " + number(a.containsKey("alpha") ? a.get("alpha").getF() : 1.0));
            case "Clip" -> clip(n, a, g);
            case "PRelu" -> {
                OnnxGraph.Constant s = floats(g, n, 1, "slope");
                yield ImportedLayer.layer("prelu " + s.floats().length, Map.of("weight", new OnnxGraph.Constant(new long[] {s.floats().length}, s.floats(), null)));
            }
            case "Softmax" -> {
                long axis = a.containsKey("axis") ? a.get("axis").getI() : -1;
                if (axis != 1 && axis != -1) {
                    throw new Refused("axis " + axis + ": cnnc's softmax runs over the classes (axis 1)");
                }
                yield plain("softmax");
            }
            case "Resize", "Upsample" -> resize(n, a, g);
            case "Add", "Sum" -> join(n, g, "add");
            case "Mul" -> join(n, g, "multiply");
            case "Concat" -> {
                if (a.containsKey("axis") && a.get("axis").getI() != 1) {
                    throw new Refused("axis " + a.get("axis").getI() + ": cnnc concatenates channels (axis 1)");
                }
                yield join(n, g, "concat");
            }
            default -> throw new Refused("cnnc has no layer for it");
        };
    }

    private static ImportedLayer plain(String text) {
        return ImportedLayer.layer(text, Map.of());
    }

    private static ImportedLayer join(NodeProto n, OnnxGraph g, String kind) throws Refused {
        if (g.dataInputs(n).size() < 2) {
            throw new Refused("with a constant operand: cnnc joins branches, it does not " + (kind.equals("add") ? "add" : "multiply by") + " constants");
        }
        return ImportedLayer.join(kind, List.of());
    }

    private static ImportedLayer conv(NodeProto n, Map<String, AttributeProto> a, OnnxGraph g) throws Refused {
        autoPad(a);
        OnnxGraph.Constant w = floats(g, n, 1, "weight");
        long[] k = w.dims();
        StringBuilder b = new StringBuilder("conv " + k[0] + " " + size(k[2], k[3]));
        long[] s = ints(a, "strides", 1, 1);
        if (s[0] != 1 || s[1] != 1) {
            b.append(" stride ").append(size(s[0], s[1]));
        }
        b.append(pads(plus(ints(a, "pads", 0, 0, 0, 0), g.padsBefore.get(n))));
        long groups = a.containsKey("group") ? a.get("group").getI() : 1;
        if (groups != 1) {
            b.append(" groups ").append(groups);
        }
        long[] d = ints(a, "dilations", 1, 1);
        if (d[0] != 1 || d[1] != 1) {
            b.append(" dilation ").append(size(d[0], d[1]));
        }
        Map<String, OnnxGraph.Constant> t = new LinkedHashMap<>();
        t.put("weight", w);
        OnnxGraph.Constant bias = g.constant(n, 2);
        if (bias != null) {
            t.put("bias", bias);
        } else {
            b.append(" nobias");
        }
        return ImportedLayer.layer(b.toString(), t);
    }

    private static ImportedLayer convTranspose(NodeProto n, Map<String, AttributeProto> a, OnnxGraph g) throws Refused {
        autoPad(a);
        if (a.containsKey("output_shape")) {
            throw new Refused("output_shape: cnnc takes padding and output_padding");
        }
        OnnxGraph.Constant w = floats(g, n, 1, "weight");
        long[] k = w.dims();
        long groups = a.containsKey("group") ? a.get("group").getI() : 1;
        long[] p = ints(a, "pads", 0, 0, 0, 0);
        if (p[0] != p[2] || p[1] != p[3]) {
            throw new Refused("pads " + java.util.Arrays.toString(p) + ": cnnc's convtranspose pads both sides alike");
        }
        StringBuilder b = new StringBuilder("convtranspose " + k[1] * groups + " " + size(k[2], k[3]));
        long[] s = ints(a, "strides", 1, 1);
        if (s[0] != 1 || s[1] != 1) {
            b.append(" stride ").append(size(s[0], s[1]));
        }
        if (p[0] != 0 || p[1] != 0) {
            b.append(" pad ").append(size(p[0], p[1]));
        }
        long[] op = ints(a, "output_padding", 0, 0);
        if (op[0] != 0 || op[1] != 0) {
            b.append(" outpad ").append(size(op[0], op[1]));
        }
        if (groups != 1) {
            b.append(" groups ").append(groups);
        }
        long[] d = ints(a, "dilations", 1, 1);
        if (d[0] != 1 || d[1] != 1) {
            b.append(" dilation ").append(size(d[0], d[1]));
        }
        Map<String, OnnxGraph.Constant> t = new LinkedHashMap<>();
        t.put("weight", w);
        OnnxGraph.Constant bias = g.constant(n, 2);
        if (bias != null) {
            t.put("bias", bias);
        } else {
            b.append(" nobias");
        }
        return ImportedLayer.layer(b.toString(), t);
    }

    private static ImportedLayer gemm(NodeProto n, Map<String, AttributeProto> a, OnnxGraph g) throws Refused {
        if ((a.containsKey("alpha") && a.get("alpha").getF() != 1f) || (a.containsKey("beta") && a.get("beta").getF() != 1f)
                || (a.containsKey("transA") && a.get("transA").getI() != 0)) {
            throw new Refused("alpha, beta or transA other than 1, 1, 0: cnnc's dense is x W^T + b");
        }
        OnnxGraph.Constant w = floats(g, n, 1, "weight");
        boolean transposed = a.containsKey("transB") && a.get("transB").getI() == 1;
        long units = transposed ? w.dims()[0] : w.dims()[1], in = transposed ? w.dims()[1] : w.dims()[0];
        float[] weight = w.floats();
        if (!transposed) {
            weight = new float[weight.length];
            for (int i = 0; i < in; i++) {
                for (int o = 0; o < units; o++) {
                    weight[(int) (o * in + i)] = w.floats()[(int) (i * units + o)];
                }
            }
        }
        Map<String, OnnxGraph.Constant> t = new LinkedHashMap<>();
        t.put("weight", new OnnxGraph.Constant(new long[] {units, in}, weight, null));
        OnnxGraph.Constant bias = g.constant(n, 2);
        if (bias != null) {
            if (bias.floats() == null || bias.floats().length != units) {
                throw new Refused("a bias of " + bias.size() + " values broadcast: cnnc's dense has one a unit");
            }
            t.put("bias", new OnnxGraph.Constant(new long[] {units}, bias.floats(), null));
        }
        return ImportedLayer.layer("dense " + units + (bias == null ? " nobias" : ""), t);
    }

    /**
     * A pool, with the padding a Pad before it did. An average pool whose own padding does not
     * count (count_include_pad 0) and lies only after the input is the overhang of ceil mode, as
     * cnnc export writes it; its counted padding came from the Pad.
     */
    private static ImportedLayer pool(NodeProto n, Map<String, AttributeProto> a, long[] before) throws Refused {
        autoPad(a);
        boolean max = n.getOpType().equals("MaxPool");
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
            throw new Refused("its indices output: cnnc has no unpooling");
        }
        long[] k = ints(a, "kernel_shape");
        long[] s = ints(a, "strides", 1, 1);
        long[] p = ints(a, "pads", 0, 0, 0, 0);
        long[] d = ints(a, "dilations", 1, 1);
        if (d[0] != 1 || d[1] != 1) {
            throw new Refused("dilations: cnnc's pools are not dilated");
        }
        boolean ceil = a.containsKey("ceil_mode") && a.get("ceil_mode").getI() == 1;
        boolean uncounted = !max && a.containsKey("count_include_pad") && a.get("count_include_pad").getI() == 0 && (p[0] | p[1] | p[2] | p[3]) != 0;
        if (uncounted) {
            if (p[0] != 0 || p[1] != 0 || p[2] >= k[0] || p[3] >= k[1]) {
                throw new Refused("count_include_pad 0 with padding before the input: cnnc's avgpool counts its padding, as torch's default");
            }
            p = new long[4];
            ceil = true;
        }
        StringBuilder b = new StringBuilder((max ? "maxpool " : "avgpool ") + size(k[0], k[1]) + " stride " + size(s[0], s[1]));
        b.append(pads(plus(p, before)));
        if (ceil) {
            b.append(" ceil");
        }
        return plain(b.toString());
    }

    private static long[] plus(long[] a, long[] b) {
        if (b == null) {
            return a;
        }
        return new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]};
    }

    private static ImportedLayer clip(NodeProto n, Map<String, AttributeProto> a, OnnxGraph g) throws Refused {
        Float lo = a.containsKey("min") ? a.get("min").getF() : null, hi = a.containsKey("max") ? a.get("max").getF() : null;
        OnnxGraph.Constant min = g.constant(n, 1), max = g.constant(n, 2);
        if (min != null && min.floats() != null && min.floats().length == 1) {
            lo = min.floats()[0];
        }
        if (max != null && max.floats() != null && max.floats().length == 1) {
            hi = max.floats()[0];
        }
        if (lo != null && lo == 0f && hi != null && hi == 6f) {
            return plain("relu6");
        }
        if (lo != null && lo == 0f && (hi == null || hi == Float.POSITIVE_INFINITY)) {
            return plain("relu");
        }
        throw new Refused("min " + lo + ", max " + hi + ": cnnc clips as relu (0, none) or relu6 (0, 6) only");
    }

    private static ImportedLayer resize(NodeProto n, Map<String, AttributeProto> a, OnnxGraph g) throws Refused {
        String mode = a.containsKey("mode") ? a.get("mode").getS().toStringUtf8() : "nearest";
        String coordinates = a.containsKey("coordinate_transformation_mode") ? a.get("coordinate_transformation_mode").getS().toStringUtf8() : "half_pixel";
        OnnxGraph.Constant scales = g.constant(n, n.getOpType().equals("Upsample") ? 1 : 2);
        if (scales == null || scales.floats() == null || scales.floats().length != 4) {
            throw new Refused("sizes, or scales that are not a constant: cnnc upsamples by a whole factor");
        }
        float[] f = scales.floats();
        if (f[0] != 1 || f[1] != 1 || f[2] != f[3] || f[2] != Math.rint(f[2]) || f[2] < 1) {
            throw new Refused("scales " + java.util.Arrays.toString(f) + ": cnnc upsamples H and W by one whole factor");
        }
        if (mode.equals("nearest")) {
            return plain("upsample " + (int) f[2]);
        }
        if (mode.equals("linear") && (coordinates.equals("half_pixel") || coordinates.equals("pytorch_half_pixel"))) {
            return plain("upsample " + (int) f[2] + " bilinear");
        }
        throw new Refused("mode " + mode + ", coordinate_transformation_mode " + coordinates + ": cnnc's upsample is nearest or bilinear"
                + " with align_corners=False");
    }

    /** cnnc's pad option for ONNX pads [top, left, bottom, right]. */
    private static String pads(long[] p) {
        if ((p[0] | p[1] | p[2] | p[3]) == 0) {
            return "";
        }
        if (p[0] == p[2] && p[1] == p[3]) {
            return " pad " + size(p[0], p[1]);
        }
        return " pad " + p[0] + " " + p[2] + " " + p[1] + " " + p[3];
    }

    private static void autoPad(Map<String, AttributeProto> a) throws Refused {
        if (a.containsKey("auto_pad") && !a.get("auto_pad").getS().toStringUtf8().equals("NOTSET")) {
            throw new Refused("auto_pad " + a.get("auto_pad").getS().toStringUtf8() + ": cnnc imports explicit pads");
        }
    }

    private static String size(long h, long w) {
        return h == w ? Long.toString(h) : h + "x" + w;
    }

    private static long[] ints(Map<String, AttributeProto> a, String name, long... fallback) throws Refused {
        if (!a.containsKey(name)) {
            if (fallback.length == 0) {
                throw new Refused("no " + name);
            }
            return fallback;
        }
        long[] v = a.get(name).getIntsList().stream().mapToLong(Long::longValue).toArray();
        int want = fallback.length == 0 ? 2 : fallback.length;
        if (v.length != want) {
            throw new Refused(name + " " + java.util.Arrays.toString(v) + ": cnnc's layers are 2-D");
        }
        return v;
    }

    private static OnnxGraph.Constant floats(OnnxGraph g, NodeProto n, int input, String what) throws Refused {
        OnnxGraph.Constant c = g.constant(n, input);
        if (c == null || c.floats() == null) {
            throw new Refused("its " + what + " is not a float constant (input " + input + ")");
        }
        return c;
    }

    /** A float attribute as the decimal it was written from (1e-05, not 9.99999974e-06). */
    static String number(double v) {
        return new java.math.BigDecimal(Float.toString((float) v)).stripTrailingZeros().toPlainString();
    }
}
