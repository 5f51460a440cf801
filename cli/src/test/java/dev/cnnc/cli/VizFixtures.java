package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.TorchSpec;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Initializer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/** What the viz cross-checks share: a model with random weights, a random image, and torch_reference.py run on both. */
final class VizFixtures {
    /** The residual model: batchnorm (with trained-looking statistics) inside a residual, dropout in the head. */
    static final String RESIDUAL = "model Res\ninput 28x28x1\nconv 8 3x3 pad same; relu\n"
            + "residual { conv 8 3x3 pad same nobias; batchnorm; relu; conv 8 3x3 pad same }\n"
            + "relu; maxpool 2; conv 4 3x3; batchnorm; relu; flatten; dropout 0.5; dense 10\n";

    final Path dir, cnn, weights, png, input, spec;
    final CheckedModel model;
    final BufferedImage image;

    VizFixtures(String which, Path dir) throws Exception {
        this.dir = dir;
        cnn = dir.resolve(which + ".cnn");
        Files.writeString(cnn, which.equals("fashion") ? Files.readString(Path.of("../samples/fashion_mnist.cnn")) : RESIDUAL);
        model = Frontend.check(SourceFiles.read(cnn)).model();
        weights = dir.resolve("w.safetensors");
        try (Network net = JavaBackend.build(model, 1, 1, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 4);
            perturbBatchNorm(net, new Random(5));
            Safetensors.save(net, weights);
        }
        image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        Random r = new Random(2);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                image.getRaster().setSample(x, y, 0, r.nextInt(256));
            }
        }
        png = dir.resolve("in.png");
        ImageIO.write(image, "png", png.toFile());
        // the same input for torch: the image as cnnc normalises it
        float scale = model.train() != null && model.train().normalize() != null && model.train().normalize().scale() != null
                ? model.train().normalize().scale().floatValue() : 1f;
        float[] x = new float[28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = image.getRaster().getSample(i % 28, i / 28, 0) * scale;
        }
        input = dir.resolve("input.safetensors");
        Safetensors.write(input, Map.of("input", x), Map.of("input", new int[] {1, 1, 28, 28}));
        spec = dir.resolve("spec.json");
        Files.writeString(spec, TorchSpec.json(model));
    }

    /** Batchnorm as after training: scale, shift and running statistics away from 1 and 0, so inference differs from identity. */
    private static void perturbBatchNorm(Network net, Random r) {
        for (TensorInfo t : net.tensors()) {
            if (!t.name().startsWith("batchnorm")) {
                continue;
            }
            float[] a = t.trainable() ? net.parameters() : net.state();
            for (int i = 0; i < t.size(); i++) {
                boolean positive = t.name().endsWith(".running_var") || t.name().endsWith(".weight");
                a[t.offset() + i] = positive ? 0.5f + r.nextFloat() : r.nextFloat() - 0.5f;
            }
        }
    }

    /** tools/torch_reference.py COMMAND --spec --weights --input ARGS... --out: its tensors. */
    Map<String, Map.Entry<int[], float[]>> torch(String command, String... args) throws Exception {
        Path out = dir.resolve("torch-" + command + ".safetensors");
        List<String> cmd = new ArrayList<>(List.of(TorchCrossCheckTest.PYTHON, "../tools/torch_reference.py", command, "--spec", spec.toString(),
                "--weights", weights.toString(), "--input", input.toString(), "--out", out.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("torch_reference.py " + command + " failed:\n" + output);
        }
        return Safetensors.read(out);
    }

    /** The largest difference relative to torch's largest |value|, asserted at most {@code tolerance}; returned for the log. */
    static double assertClose(String what, float[] ours, float[] theirs, double tolerance) {
        if (ours.length != theirs.length) {
            fail(what + ": " + ours.length + " values, torch " + theirs.length);
        }
        double largest = 0, diff = 0;
        for (int i = 0; i < ours.length; i++) {
            largest = Math.max(largest, Math.abs(theirs[i]));
            diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
        }
        assertTrue(largest > 0, what + ": torch's values are all zero, which checks nothing");
        assertTrue(diff <= tolerance * largest, what + ": " + diff + " off torch (largest " + largest + ")");
        return diff / largest;
    }
}
