package dev.cnnc.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Initializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Import checked against PyTorch: torchvision's networks, randomly initialised (batchnorm away
 * from its initial statistics), exported by torch.onnx.export in eval mode
 * (tools/torch_onnx_export.py), imported, and run by cnnc: the outputs equal torch's within 1e-4
 * of the largest. And the round trip: every sample exported and imported again checks with the
 * same parameter counts and gives the same outputs.
 */
class OnnxImportTest {
    static final Path DIR = Path.of("target/onnx-import");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resnet18", "vgg11_bn", "squeezenet1_1", "densenet121", "googlenet", "mobilenet_v2"})
    void torchvisionModelsGiveTorchsOutputs(String name) throws Exception {
        Path dir = DIR.resolve(name);
        if (!Files.exists(dir.resolve("output.safetensors"))) {
            Process p = new ProcessBuilder(OnnxExportTest.PYTHON, "../tools/torch_onnx_export.py", "--model", name, "--out", dir.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("torch_onnx_export.py failed:\n" + log);
            }
        }
        OnnxImport.Result r = OnnxImport.read(Files.readAllBytes(dir.resolve("model.onnx")), "Imported", name + ".onnx");
        float[] x = Safetensors.read(dir.resolve("input.safetensors")).get("input").getValue();
        float[] want = Safetensors.read(dir.resolve("output.safetensors")).get("output").getValue();
        float[] got = run(r.model(), r.tensors(), x, 1);
        double error = relative(got, want);
        System.out.printf("cnnc import %-14s vs PyTorch: %d layers, relative error %.2e%n", name, r.model().layers().size(), error);
        assertTrue(error <= 1e-4, name + ": " + error);
    }

    static List<String> samples() throws Exception {
        try (var s = Files.list(Path.of("../samples"))) {
            return s.filter(p -> p.toString().endsWith(".cnn")).map(Path::toString).sorted().toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void exportThenImportGivesTheSameModel(String file) throws Exception {
        CheckedModel model = Frontend.check(SourceFiles.read(Path.of(file))).model();
        Map<String, Map.Entry<int[], float[]>> tensors = new LinkedHashMap<>();
        try (Network net = JavaBackend.build(model, 1, 2, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 5);
            Random rnd = new Random(9);
            for (TensorInfo t : net.tensors()) {
                float[] a = t.trainable() ? net.parameters() : net.state();
                if (t.role() == TensorInfo.Role.RUNNING_VAR) {
                    for (int i = 0; i < t.size(); i++) {
                        a[t.offset() + i] = 0.5f + rnd.nextFloat();
                    }
                }
                tensors.put(t.name(), Map.entry(t.shape(), Arrays.copyOfRange(a, t.offset(), t.offset() + t.size())));
            }
        }
        byte[] onnx = OnnxExport.export(model, tensors, OnnxExport.DEFAULT_OPSET).toByteArray();
        OnnxImport.Result back = OnnxImport.read(onnx, model.name(), model.name() + ".onnx");
        assertEquals(model.trainableParams(), back.model().trainableParams(), "trainable parameters");
        assertEquals(model.nonTrainableParams(), back.model().nonTrainableParams(), "batchnorm statistics");
        assertEquals(model.output(), back.model().output());
        int in = (int) model.input().elements();
        float[] x = new float[2 * in];
        Random rnd = new Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        double error = relative(run(back.model(), back.tensors(), x, 2), run(model, tensors, x, 2));
        System.out.printf("export then import %-18s %d layers, relative error %.2e%n", model.name(), back.model().layers().size(), error);
        assertTrue(error <= 1e-5, model.name() + ": " + error);
    }

    @Test
    void everyNodeItCannotExpressIsListed() throws Exception {
        // a graph with two nodes cnnc has no layer for (LogSoftmax, and a Conv with auto_pad)
        onnx.Onnx.GraphProto.Builder g = onnx.Onnx.GraphProto.newBuilder().setName("g");
        g.addInput(onnx.Onnx.ValueInfoProto.newBuilder().setName("x").setType(onnx.Onnx.TypeProto.newBuilder().setTensorType(
                onnx.Onnx.TypeProto.Tensor.newBuilder().setElemType(1).setShape(onnx.Onnx.TensorShapeProto.newBuilder()
                        .addDim(onnx.Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("n"))
                        .addDim(onnx.Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(1))
                        .addDim(onnx.Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(4))
                        .addDim(onnx.Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(4))))));
        g.addInitializer(onnx.Onnx.TensorProto.newBuilder().setName("w").setDataType(1).addAllDims(List.of(2L, 1L, 3L, 3L))
                .addAllFloatData(java.util.Collections.nCopies(18, 0.5f)));
        g.addNode(onnx.Onnx.NodeProto.newBuilder().setName("c").setOpType("Conv").addInput("x").addInput("w").addOutput("y")
                .addAttribute(GraphBuilder.text("auto_pad", "SAME_UPPER")));
        g.addNode(onnx.Onnx.NodeProto.newBuilder().setName("s").setOpType("LogSoftmax").addInput("y").addOutput("z"));
        g.addOutput(onnx.Onnx.ValueInfoProto.newBuilder().setName("z"));
        byte[] bytes = onnx.Onnx.ModelProto.newBuilder().setGraph(g).build().toByteArray();
        OnnxImport.Unsupported e = org.junit.jupiter.api.Assertions.assertThrows(OnnxImport.Unsupported.class,
                () -> OnnxImport.read(bytes, "M", "m.onnx"));
        assertEquals(List.of("node c (Conv): auto_pad SAME_UPPER: cnnc imports explicit pads", "node s (LogSoftmax): cnnc has no layer for it"),
                e.problems());
    }

    private static float[] run(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors, float[] x, int n) throws Exception {
        try (Network net = JavaBackend.build(model, n, 2, JavaBackend.Options.DEFAULT)) {
            Safetensors.load(net, Path.of(model.name()), tensors);
            net.forward(x, n, false);
            return Arrays.copyOf(net.output(), n * net.outputSize());
        }
    }

    private static double relative(float[] got, float[] want) {
        assertEquals(want.length, got.length, "output size");
        double largest = 0, diff = 0;
        for (int i = 0; i < got.length; i++) {
            largest = Math.max(largest, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
        }
        return diff / largest;
    }
}
