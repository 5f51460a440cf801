package dev.cnnc.onnx;

import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.JoinKind;
import dev.cnnc.compiler.model.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import onnx.Onnx.ModelProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;

/**
 * A checked model and its weights as an ONNX model for inference: input {@code input}
 * [batch, C, H, W] (or [batch, N]), the batch dimension left free; output {@code output}, what
 * cnnc's inference gives (probabilities when the model ends in softmax). The input is what the
 * network takes: already normalised as the train section says.
 */
public final class OnnxExport {
    /** The opsets export writes: 13 (Softmax over one axis, Resize and Clip as now) to 17 (what Debian's onnx 1.12 checks). */
    public static final int MIN_OPSET = 13, MAX_OPSET = 17, DEFAULT_OPSET = 17;

    /** Weights that do not fit the model: missing, misshapen or not finite. */
    public static final class BadWeights extends Exception {
        BadWeights(String message) {
            super(message);
        }
    }

    private OnnxExport() {
    }

    /** x' = (x * scale - mean[c]) / std[c], what training applied to the data (mean and std empty: scale only). */
    public record Normalization(float scale, float[] mean, float[] std) {
    }

    public static ModelProto export(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors, int opset) throws BadWeights {
        return export(model, tensors, opset, null);
    }

    /**
     * With {@code normalization}, the model's first nodes apply it, so that the file takes raw pixel
     * values (0..255) as the images cnnc trained on were read.
     */
    public static ModelProto export(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors, int opset, Normalization normalization)
            throws BadWeights {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new IllegalArgumentException("opset " + opset + ": export writes opsets " + MIN_OPSET + " to " + MAX_OPSET);
        }
        check(model, tensors);
        GraphBuilder g = new GraphBuilder(model.name(), opset);
        String x = normalization == null ? "input" : normalise(normalization, model.input(), g);
        String out = nodes(model.nodes(), x, g, tensors);
        g.graph.addNode(onnx.Onnx.NodeProto.newBuilder().setOpType("Identity").setName("output").addInput(out).addOutput("output"));
        g.graph.addInput(value("input", model.input()));
        g.graph.addOutput(value("output", model.output()));
        return ModelProto.newBuilder()
                .setIrVersion(8) // the IR of opset 17 (ONNX 1.12)
                .setProducerName("cnnc")
                .setProducerVersion(version())
                .setDomain("dev.cnnc")
                .setDocString(model.name() + " from " + model.file())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("cnnc.input").setValue(model.input().toString()))
                .setGraph(g.graph)
                .build();
    }

    private static String nodes(List<CheckedNode> nodes, String x, GraphBuilder g, Map<String, Map.Entry<int[], float[]>> tensors) {
        for (CheckedNode n : nodes) {
            if (n instanceof CheckedNode.Layer l) {
                x = LayerExport.emit(l, x, g, tensors);
            } else if (n instanceof CheckedNode.Residual r) {
                String main = nodes(r.main(), x, g, tensors), shortcut = nodes(r.shortcut(), x, g, tensors);
                x = g.node("Add", r.name(), List.of(main, shortcut));
            } else if (n instanceof CheckedNode.Join j) {
                List<String> ends = new ArrayList<>();
                for (List<CheckedNode> path : j.paths()) {
                    ends.add(nodes(path, x, g, tensors));
                }
                x = join(j, ends, g);
            }
        }
        return x;
    }

    private static String normalise(Normalization n, Shape input, GraphBuilder g) {
        String x = g.node("Mul", "normalize/scaled", List.of("input", g.scalar("normalize.scale", n.scale())));
        if (n.mean().length == 0) {
            return x;
        }
        x = g.node("Sub", "normalize/centred", List.of(x, g.floats("normalize.mean", channelDims(n.mean().length, input), n.mean())));
        float[] std = n.std().length == 0 ? new float[] {1} : n.std();
        return g.node("Div", "normalize", List.of(x, g.floats("normalize.std", channelDims(std.length, input), std)));
    }

    /** One value a channel broadcasts over NCHW as [C, 1, 1]; one for all as [1]. */
    private static long[] channelDims(int values, Shape input) {
        return input.flat() || values == 1 ? new long[] {values} : new long[] {values, 1, 1};
    }

    private static String join(CheckedNode.Join j, List<String> ends, GraphBuilder g) {
        if (j.kind() == JoinKind.CONCAT) {
            return g.node("Concat", j.name(), ends, GraphBuilder.integer("axis", 1));
        }
        if (j.kind() == JoinKind.ADD) {
            return g.node("Sum", j.name(), ends);
        }
        String product = ends.get(0);
        for (int i = 1; i < ends.size(); i++) {
            product = g.node("Mul", i == ends.size() - 1 ? j.name() : j.name() + "/" + i, List.of(product, ends.get(i)));
        }
        return product;
    }

    /** Every tensor the model has, present, of its shape and finite, before anything is written. */
    static void check(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors) throws BadWeights {
        List<String> problems = new ArrayList<>();
        for (ParamLayout.Entry e : ParamLayout.of(model).entries()) {
            Map.Entry<int[], float[]> t = tensors.get(e.name());
            if (t == null) {
                problems.add("no tensor " + e.name() + " " + Arrays.toString(e.shape()));
            } else if (!Arrays.equals(t.getKey(), e.shape())) {
                problems.add(e.name() + " is " + Arrays.toString(t.getKey()) + ", the model's is " + Arrays.toString(e.shape()));
            } else {
                for (int i = 0; i < t.getValue().length; i++) {
                    if (!Float.isFinite(t.getValue()[i])) {
                        problems.add(e.name() + "[" + i + "] is " + t.getValue()[i]);
                        break;
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new BadWeights(String.join("; ", problems.subList(0, Math.min(6, problems.size())))
                    + (problems.size() > 6 ? "; and " + (problems.size() - 6) + " more" : "") + ": are these the weights of " + model.name() + "?");
        }
    }

    private static ValueInfoProto value(String name, Shape s) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        long[] dims = s.flat() ? new long[] {s.channels()} : new long[] {s.channels(), s.height(), s.width()};
        for (long d : dims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static String version() {
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
