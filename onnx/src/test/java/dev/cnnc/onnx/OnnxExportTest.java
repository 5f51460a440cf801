package dev.cnnc.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.train.Initializer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Export checked by engines that are not cnnc: ONNX Runtime runs every sample and 40 random
 * models of tools/random_models.py (every layer kind and option, as the coverage test makes sure) on
 * random inputs, and for a model ending in softmax also the model without it (the logits: random
 * weights can saturate probabilities into 0 and 1, which would hide a difference), its output
 * equal to cnnc's inference output within 1e-5 of the largest value; Debian's onnx checker
 * (full_check, with shape inference) accepts every file. Weights random, batchnorm statistics
 * and scales away from their initial 0 and 1 so that inference mode shows.
 */
class OnnxExportTest {
    static final String PYTHON = "/usr/bin/python3";
    static final Path OUT = Path.of("target/onnx-export");

    static Stream<String> models() throws Exception {
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("../samples"))) {
            s.filter(p -> p.toString().endsWith(".cnn")).sorted().forEach(p -> files.add(p.toString()));
        }
        Path random = OUT.resolve("random");
        if (!Files.isDirectory(random)) {
            Process p = new ProcessBuilder(PYTHON, "../tools/random_models.py", "generate", "--seed", "2", "--count", "40", "--out", random.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("random_models.py generate failed:\n" + log);
            }
        }
        try (Stream<Path> s = Files.list(random)) {
            s.filter(Files::isDirectory).sorted().forEach(d -> files.add(d.resolve("model.cnn").toString()));
        }
        return files.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void onnxRuntimeGivesCnncsOutputs(String file) throws Exception {
        CheckResult checked = Frontend.check(SourceFiles.read(Path.of(file)));
        assertTrue(checked.model() != null, file + " checks");
        CheckedModel model = checked.model();
        compare(model, file);
        List<dev.cnnc.compiler.model.CheckedNode> nodes = model.nodes();
        if (nodes.get(nodes.size() - 1) instanceof dev.cnnc.compiler.model.CheckedNode.Layer last && last.spec() instanceof dev.cnnc.compiler.layers.Softmax) {
            compare(new CheckedModel(model.name() + "Logits", model.file(), model.input(), nodes.subList(0, nodes.size() - 1), null, 0, 0, 0, 0), file);
        }
    }

    @org.junit.jupiter.api.Test
    void theRandomModelsHaveEveryLayerKindAndOption() throws Exception {
        StringBuilder all = new StringBuilder();
        for (String f : models().toList()) {
            all.append(Files.readString(Path.of(f))).append('\n');
        }
        List<String> words = new ArrayList<>();
        for (dev.cnnc.compiler.layers.LayerKind k : dev.cnnc.compiler.layers.LayerKinds.ALL) {
            List<String> names = new ArrayList<>(List.of(k.name()));
            names.addAll(k.aliases());
            words.add(String.join("|", names));
        }
        words.addAll(List.of("residual", "concat", "add", "multiply", "ceil", "groups", "dilation", "nobias", "pad \\d+ \\d+ \\d+ \\d+", "bilinear", "outpad"));
        List<String> missing = words.stream().filter(w -> !java.util.regex.Pattern.compile("\\b(" + w + ")\\b").matcher(all).find()).toList();
        assertEquals(List.of(), missing, "what no model exports: draw more models or another seed");
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"../samples/fashion_mnist.cnn", "../samples/cifar10_simple.cnn"})
    void rawInputIsNormalisedInTheFile(String file) throws Exception {
        CheckedModel model = Frontend.check(SourceFiles.read(Path.of(file))).model();
        var n = model.train().normalize();
        float[] mean = new float[n.mean().size()], std = new float[n.std().size()];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = n.mean().get(i).floatValue();
        }
        for (int i = 0; i < std.length; i++) {
            std[i] = n.std().get(i).floatValue();
        }
        compare(model, file, new OnnxExport.Normalization(n.scale() == null ? 1f : n.scale().floatValue(), mean, std));
    }

    private static void compare(CheckedModel model, String file) throws Exception {
        compare(model, file, null);
    }

    /** With a normalization, ONNX Runtime gets raw pixel values 0..255 and cnnc the same normalised. */
    private static void compare(CheckedModel model, String file, OnnxExport.Normalization norm) throws Exception {
        int batch = 2;
        float[] ours;
        Map<String, Map.Entry<int[], float[]>> tensors = new LinkedHashMap<>();
        float[] x;
        try (Network net = JavaBackend.build(model, batch, 2, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 3);
            Random r = new Random(file.hashCode());
            for (TensorInfo t : net.tensors()) {
                float[] a = t.trainable() ? net.parameters() : net.state();
                boolean positive = t.role() == TensorInfo.Role.RUNNING_VAR || t.role() == TensorInfo.Role.NORM_WEIGHT;
                if (positive || t.role() == TensorInfo.Role.RUNNING_MEAN || t.role() == TensorInfo.Role.NORM_BIAS) {
                    for (int i = 0; i < t.size(); i++) {
                        a[t.offset() + i] = positive ? 0.5f + r.nextFloat() : r.nextFloat() - 0.5f;
                    }
                }
                tensors.put(t.name(), Map.entry(t.shape(), Arrays.copyOfRange(a, t.offset(), t.offset() + t.size())));
            }
            x = new float[batch * net.inputSize()];
            float[] normalised = x;
            if (norm == null) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
            } else {
                normalised = new float[x.length];
                int plane = (int) (model.input().height() * model.input().width()), channels = (int) model.input().channels();
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextInt(256);
                    int c = i / plane % channels;
                    float m = norm.mean().length == 0 ? 0 : norm.mean()[norm.mean().length == 1 ? 0 : c];
                    float sd = norm.std().length == 0 ? 1 : norm.std()[norm.std().length == 1 ? 0 : c];
                    normalised[i] = (x[i] * norm.scale() - m) / sd;
                }
            }
            net.forward(normalised, batch, false);
            ours = Arrays.copyOf(net.output(), batch * net.outputSize());
        }
        byte[] onnx = OnnxExport.export(model, tensors, OnnxExport.DEFAULT_OPSET, norm).toByteArray();
        Path written = OUT.resolve(model.name() + (norm == null ? "" : "Raw") + ".onnx");
        Files.createDirectories(OUT);
        Files.write(written, onnx);

        int[] in = model.input().flat() ? new int[] {(int) model.input().channels()}
                : new int[] {(int) model.input().channels(), (int) model.input().height(), (int) model.input().width()};
        long[] shape = new long[in.length + 1];
        shape[0] = batch;
        for (int i = 0; i < in.length; i++) {
            shape[i + 1] = in[i];
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] theirs;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(onnx, options);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result result = session.run(Map.of("input", input))) {
                OnnxTensor output = (OnnxTensor) result.get("output").orElseThrow();
                FloatBuffer b = output.getFloatBuffer();
                theirs = new float[b.remaining()];
                b.get(theirs);
            }
        }
        assertEquals(ours.length, theirs.length, "output size");
        double largest = 0, diff = 0;
        for (int i = 0; i < ours.length; i++) {
            largest = Math.max(largest, Math.abs(ours[i]));
            diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
        }
        System.out.printf("onnx export %-22s ONNX Runtime vs cnnc: relative error %.2e (%,d bytes)%n", model.name(), diff / largest, onnx.length);
        assertTrue(diff <= 1e-5 * largest, model.name() + ": ONNX Runtime differs from cnnc by " + diff + " (largest " + largest + ")");

        Process p = new ProcessBuilder(PYTHON, "-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)",
                written.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("onnx.checker.check_model(full_check=True) refused " + written + ":\n" + log);
        }
    }
}
