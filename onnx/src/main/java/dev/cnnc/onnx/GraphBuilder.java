package dev.cnnc.onnx;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;

/** An ONNX graph under construction: nodes in order, constant tensors as initializers, every name used once. */
final class GraphBuilder {
    final GraphProto.Builder graph = GraphProto.newBuilder();
    final int opset;
    private final Set<String> names = new HashSet<>();

    GraphBuilder(String name, int opset) {
        graph.setName(name);
        this.opset = opset;
        names.add("input");
    }

    /** A value name not used yet: {@code want}, or {@code want_2}, {@code want_3}... */
    String fresh(String want) {
        String name = want;
        for (int i = 2; !names.add(name); i++) {
            name = want + "_" + i;
        }
        return name;
    }

    /** Adds a node {@code op} reading {@code inputs}; its one output is named after {@code output}. Returns that name. */
    String node(String op, String output, List<String> inputs, AttributeProto... attributes) {
        String out = fresh(output);
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs).addOutput(out);
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return out;
    }

    /** A float initializer of shape {@code dims}. */
    String floats(String name, long[] dims, float[] values) {
        String n = fresh(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        // raw little-endian bytes: compact, and what every ONNX reader takes
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        t.setRawData(com.google.protobuf.ByteString.copyFrom(b.array()));
        graph.addInitializer(t);
        return n;
    }

    /** A 1-D int64 initializer (shapes, pads, slice bounds). */
    String longs(String name, long... values) {
        String n = fresh(name);
        TensorProto.Builder t = TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return n;
    }

    /** A float scalar initializer (a shape-[] tensor). */
    String scalar(String name, float value) {
        String n = fresh(name);
        graph.addInitializer(TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(value));
        return n;
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto real(String name, double value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF((float) value).build();
    }

    static AttributeProto text(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
    }
}
