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
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Initializer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cnnc viz features}: the maps it draws are PyTorch's — the Fashion net and a residual
 * model on the same safetensors weights and the same image, every chosen layer's output equal to
 * torch's (Debian's, tools/torch_reference.py, forward hooks by layer name) within 1e-5 of the
 * layer's largest value, on both backends.
 */
class VizFeaturesTest {
    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"fashion, java", "fashion, opencl", "residual, java"})
    void mapsEqualPyTorchs(String which, String backend, @TempDir Path dir) throws Exception {
        Path cnn = dir.resolve(which + ".cnn");
        Files.writeString(cnn, which.equals("fashion") ? Files.readString(Path.of("../samples/fashion_mnist.cnn"))
                : "model Res\ninput 28x28x1\nconv 8 3x3 pad same; relu\nresidual { conv 8 3x3 pad same nobias; batchnorm; relu; conv 8 3x3 pad same }\n"
                + "relu; maxpool 2; conv 4 3x3; flatten; dense 10\n");
        CheckedModel model = Frontend.check(SourceFiles.read(cnn)).model();
        Path weights = dir.resolve("w.safetensors");
        try (Network net = JavaBackend.build(model, 1, 1, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 4);
            Safetensors.save(net, weights);
        }
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        Random r = new Random(2);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                img.getRaster().setSample(x, y, 0, r.nextInt(256));
            }
        }
        Path png = dir.resolve("in.png");
        ImageIO.write(img, "png", png.toFile());
        Path maps = dir.resolve("maps.safetensors");
        CheckCommandTest.Run run = CheckCommandTest.run("viz", "features", cnn.toString(), "--weights", weights.toString(), "--image", png.toString(),
                "--save-maps", maps.toString(), "-o", dir.resolve("f.png").toString(), "--backend", backend);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(ImageIO.read(dir.resolve("f.png").toFile()).getHeight() > 100);

        // the same input for torch: the image as cnnc normalises it
        float scale = model.train() != null && model.train().normalize() != null && model.train().normalize().scale() != null
                ? model.train().normalize().scale().floatValue() : 1f;
        float[] x = new float[28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = img.getRaster().getSample(i % 28, i / 28, 0) * scale;
        }
        Path input = dir.resolve("input.safetensors");
        Safetensors.write(input, Map.of("input", x), Map.of("input", new int[] {1, 1, 28, 28}));
        Path spec = dir.resolve("spec.json");
        Files.writeString(spec, TorchSpec.json(model));
        Map<String, Map.Entry<int[], float[]>> ours = Safetensors.read(maps);
        Path theirsFile = dir.resolve("torch.safetensors");
        Process p = new ProcessBuilder(TorchCrossCheckTest.PYTHON, "../tools/torch_reference.py", "activations", "--spec", spec.toString(),
                "--weights", weights.toString(), "--input", input.toString(), "--layers", String.join(",", ours.keySet()), "--out",
                theirsFile.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("torch_reference.py activations failed:\n" + output);
        }
        Map<String, Map.Entry<int[], float[]>> theirs = Safetensors.read(theirsFile);
        assertEquals(List.copyOf(ours.keySet()).size(), theirs.size(), "torch gave every layer");
        for (String layer : ours.keySet()) {
            float[] a = ours.get(layer).getValue(), b = theirs.get(layer).getValue();
            assertEquals(a.length, b.length, layer);
            double largest = 0, diff = 0;
            for (int i = 0; i < a.length; i++) {
                largest = Math.max(largest, Math.abs(b[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            System.out.printf("viz features (%s, %s) vs PyTorch: %-9s relative error %.2e%n", which, backend, layer, diff / largest);
            assertTrue(diff <= 1e-5 * largest, layer + ": " + diff + " off torch (largest " + largest + ")");
        }
    }
}
