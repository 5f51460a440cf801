package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.TorchSpec;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Initializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The samples' Fashion-MNIST net trained by cnnc and by PyTorch (Debian's python3-torch, run
 * with /usr/bin/python3) from the same safetensors weights on the same IDX batches: after 5
 * steps of SGD with momentum every tensor agrees to relative error 1e-4 on the Java backend and
 * 1e-3 on the OpenCL backend (PoCL in CI). Without torch the test fails: CI installs it.
 */
class TorchCrossCheckTest {
    static final String PYTHON = "/usr/bin/python3";
    static final int STEPS = 5;
    static final int BATCH = 64;

    @ParameterizedTest(name = "{0} backend within {1}")
    @CsvSource({"java, 1e-4", "opencl, 1e-3"})
    void fiveSgdStepsMatchPyTorch(String backend, double bound, @TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        writeRandomIdx(data, STEPS * BATCH, new Random(3));
        String text = Files.readString(Path.of("../samples/fashion_mnist.cnn"))
                .replace("optimizer adam lr 0.001", "optimizer sgd lr 0.05 momentum 0.9");
        Path cnn = dir.resolve("fashion_sgd.cnn");
        Files.writeString(cnn, text);
        CheckedModel model = Frontend.check(SourceFiles.read(cnn)).model();
        Path init = dir.resolve("init.safetensors");
        try (Network net = JavaBackend.build(model, BATCH, 2, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 42);
            Safetensors.save(net, init);
        }

        Path ours = dir.resolve("cnnc.safetensors");
        CheckCommandTest.Run run = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--init", init.toString(),
                "--save", ours.toString(), "--steps", Integer.toString(STEPS), "--batch", Integer.toString(BATCH), "--no-shuffle",
                "--threads", "2", "--backend", backend);
        assertEquals(0, run.exit(), run.out() + run.err());

        Path spec = dir.resolve("spec.json");
        Files.writeString(spec, TorchSpec.json(model));
        Path theirs = dir.resolve("torch.safetensors");
        runTorch(spec, init, data, theirs);

        Map<String, Map.Entry<int[], float[]>> a = Safetensors.read(ours);
        Map<String, Map.Entry<int[], float[]>> b = Safetensors.read(theirs);
        assertEquals(b.keySet(), a.keySet(), "the same tensors");
        Map<String, Map.Entry<int[], float[]>> start = Safetensors.read(init);
        for (String name : a.keySet()) {
            float[] x = a.get(name).getValue();
            float[] y = b.get(name).getValue();
            double scale = 0;
            double diff = 0;
            double moved = 0;
            for (int i = 0; i < x.length; i++) {
                scale = Math.max(scale, Math.abs(y[i]));
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
                moved = Math.max(moved, Math.abs(y[i] - start.get(name).getValue()[i]));
            }
            double rel = diff / scale;
            System.out.printf("cnnc (%s) vs PyTorch after %d SGD steps: %-14s relative error %.2e%n", backend, STEPS, name, rel);
            assertTrue(moved > 1e-4, name + " was trained (moved " + moved + ")");
            assertTrue(rel <= bound, name + ": relative error " + rel + " between cnnc (" + backend + ") and PyTorch after " + STEPS + " steps");
        }
    }

    static void runTorch(Path spec, Path init, Path data, Path out) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            fail(PYTHON + " is missing: install Debian's python3-torch (apt-get install -y python3-torch)");
        }
        Process p = new ProcessBuilder(PYTHON, "../tools/torch_reference.py", "train", "--spec", spec.toString(), "--init",
                init.toString(), "--data", data.toString(), "--steps", Integer.toString(STEPS), "--batch", Integer.toString(BATCH),
                "--out", out.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("PyTorch did not finish in 600 s");
        }
        if (p.exitValue() != 0) {
            fail("PyTorch run failed" + (output.contains("No module named 'torch'") ? " (install python3-torch)" : "") + ":\n" + output);
        }
    }

    static void writeRandomIdx(Path dir, int count, Random random) throws IOException {
        byte[] pixels = new byte[count * 28 * 28];
        random.nextBytes(pixels);
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        Idx.writeUnsignedBytes(dir.resolve("train-images-idx3-ubyte"), new int[] {count, 28, 28}, pixels);
        Idx.writeUnsignedBytes(dir.resolve("train-labels-idx1-ubyte"), new int[] {count}, labels);
    }
}
