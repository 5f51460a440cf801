package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.io.Safetensors;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
        VizFixtures f = new VizFixtures(which, dir);
        Path maps = dir.resolve("maps.safetensors");
        CheckCommandTest.Run run = CheckCommandTest.run("viz", "features", f.cnn.toString(), "--weights", f.weights.toString(), "--image",
                f.png.toString(), "--save-maps", maps.toString(), "-o", dir.resolve("f.png").toString(), "--backend", backend);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(ImageIO.read(dir.resolve("f.png").toFile()).getHeight() > 100);
        Map<String, Map.Entry<int[], float[]>> ours = Safetensors.read(maps);
        Map<String, Map.Entry<int[], float[]>> theirs = f.torch("activations", "--layers", String.join(",", ours.keySet()));
        assertEquals(ours.size(), theirs.size(), "torch gave every layer");
        for (String layer : ours.keySet()) {
            double error = VizFixtures.assertClose(layer, ours.get(layer).getValue(), theirs.get(layer).getValue(), 1e-5);
            System.out.printf("viz features (%s, %s) vs PyTorch: %-9s relative error %.2e%n", which, backend, layer, error);
        }
    }
}
