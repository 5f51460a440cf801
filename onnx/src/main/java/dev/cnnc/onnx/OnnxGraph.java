package dev.cnnc.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;

/**
 * An ONNX graph as import reads it: the constants (initializers, Constant nodes, and what
 * Identity makes of them), the computing nodes in order, and the values each node's data inputs
 * come from once Identity, Dropout, single-input Concat and zero Pad are seen through.
 */
final class OnnxGraph {
    /** A constant tensor: floats or longs, with its dims. */
    record Constant(long[] dims, float[] floats, long[] longs) {
        int size() {
            return floats != null ? floats.length : longs.length;
        }
    }

    final Map<String, Constant> constants = new HashMap<>();
    final List<NodeProto> nodes = new ArrayList<>();
    final Map<String, NodeProto> producer = new HashMap<>();
    final Map<String, String> alias = new HashMap<>();
    final String input;
    /** Zero or -inf padding a Pad node did before the conv or pool that alone reads it: [top, left, bottom, right]. */
    final Map<NodeProto, long[]> padsBefore = new HashMap<>();
    final List<Long> inputDims = new ArrayList<>();
    final String output;

    OnnxGraph(GraphProto g) {
        for (TensorProto t : g.getInitializerList()) {
            constants.put(t.getName(), constant(t));
        }
        String in = null;
        for (var v : g.getInputList()) {
            if (!constants.containsKey(v.getName())) {
                in = v.getName();
                for (var d : v.getType().getTensorType().getShape().getDimList()) {
                    inputDims.add(d.hasDimValue() ? d.getDimValue() : -1);
                }
                break;
            }
        }
        input = in;
        for (NodeProto n : g.getNodeList()) {
            String op = n.getOpType();
            if (op.equals("Constant")) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value")) {
                        constants.put(n.getOutput(0), constant(a.getT()));
                    }
                }
            } else if ((op.equals("Identity") || op.equals("Dropout")) && constants.containsKey(value(n.getInput(0)))) {
                constants.put(n.getOutput(0), constants.get(value(n.getInput(0))));
            } else if (op.equals("Identity") || op.equals("Dropout") || (op.equals("Concat") && n.getInputCount() == 1) || zeroPad(n)) {
                alias.put(n.getOutput(0), value(n.getInput(0))); // the identity in inference
            } else {
                nodes.add(n);
                for (String o : n.getOutputList()) {
                    producer.put(o, n);
                }
            }
        }
        output = value(g.getOutput(0).getName());
        foldPads();
    }

    /** A constant Pad of H and W before the one conv or pool that reads it becomes that node's padding (zeros for conv and avgpool, -inf for maxpool). */
    private void foldPads() {
        Map<String, List<NodeProto>> readers = new HashMap<>();
        for (NodeProto n : nodes) {
            for (String i : dataInputs(n)) {
                readers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
        for (NodeProto pad : new ArrayList<>(nodes)) {
            if (!pad.getOpType().equals("Pad") || pad.getInputCount() < 2) {
                continue;
            }
            List<NodeProto> r = readers.getOrDefault(pad.getOutput(0), List.of());
            Constant pads = constants.get(value(pad.getInput(1)));
            Constant fill = pad.getInputCount() > 2 && !pad.getInput(2).isEmpty() ? constants.get(value(pad.getInput(2))) : null;
            Map<String, AttributeProto> a = attributes(pad);
            boolean constantMode = !a.containsKey("mode") || a.get("mode").getS().toStringUtf8().equals("constant");
            if (r.size() != 1 || pads == null || pads.longs() == null || pads.longs().length != 8 || !constantMode) {
                continue;
            }
            long[] p = pads.longs();
            if (p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0) {
                continue;
            }
            float v = fill == null || fill.floats() == null ? 0f : fill.floats()[0];
            String op = r.get(0).getOpType();
            boolean fits = op.equals("MaxPool") ? v == Float.NEGATIVE_INFINITY : (op.equals("Conv") || op.equals("AveragePool")) && v == 0f;
            if (fits) {
                padsBefore.put(r.get(0), new long[] {p[2], p[3], p[6], p[7]});
                alias.put(pad.getOutput(0), value(pad.getInput(0)));
                nodes.remove(pad);
                producer.remove(pad.getOutput(0));
            }
        }
    }

    /** The value {@code name} stands for, Identity and the like seen through. */
    String value(String name) {
        String v = name;
        while (alias.containsKey(v)) {
            v = alias.get(v);
        }
        return v;
    }

    /** The node's inputs that are not constants (and not the empty name of an omitted optional input). */
    List<String> dataInputs(NodeProto n) {
        List<String> out = new ArrayList<>();
        for (String i : n.getInputList()) {
            if (!i.isEmpty() && !constants.containsKey(value(i))) {
                out.add(value(i));
            }
        }
        return out;
    }

    Constant constant(NodeProto n, int input) {
        return input < n.getInputCount() && !n.getInput(input).isEmpty() ? constants.get(value(n.getInput(input))) : null;
    }

    private boolean zeroPad(NodeProto n) {
        if (!n.getOpType().equals("Pad") || n.getInputCount() < 2) {
            return false;
        }
        Constant pads = constants.get(value(n.getInput(1)));
        if (pads == null || pads.longs() == null) {
            return false;
        }
        for (long p : pads.longs()) {
            if (p != 0) {
                return false;
            }
        }
        return true;
    }

    static Map<String, AttributeProto> attributes(NodeProto n) {
        Map<String, AttributeProto> out = new LinkedHashMap<>();
        for (AttributeProto a : n.getAttributeList()) {
            out.put(a.getName(), a);
        }
        return out;
    }

    private static Constant constant(TensorProto t) {
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : dims) {
            count *= d;
        }
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                float[] f = new float[(int) count];
                if (t.getRawData().isEmpty()) {
                    for (int i = 0; i < f.length; i++) {
                        f[i] = t.getFloatData(i);
                    }
                } else {
                    raw.asFloatBuffer().get(f);
                }
                return new Constant(dims, f, null);
            }
            case TensorProto.DataType.INT64_VALUE -> {
                long[] l = new long[(int) count];
                if (t.getRawData().isEmpty()) {
                    for (int i = 0; i < l.length; i++) {
                        l[i] = t.getInt64Data(i);
                    }
                } else {
                    raw.asLongBuffer().get(l);
                }
                return new Constant(dims, null, l);
            }
            default -> {
                return new Constant(dims, null, new long[0]); // a type import never reads as a number
            }
        }
    }
}
