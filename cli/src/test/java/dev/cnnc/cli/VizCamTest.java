package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.io.Safetensors;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code cnnc viz cam}: Grad-CAM and saliency equal PyTorch's (tools/torch_reference.py cam: eval
 * mode, float64, autograd) on the same weights and image — the Fashion net and a residual model
 * whose batchnorms carry non-trivial running statistics and whose head has dropout, so a gradient
 * taken in training mode would differ — the heatmap before colouring within 1e-4 of its largest
 * value, on both backends, for the predicted class and for a class given.
 */
class VizCamTest {
    @ParameterizedTest(name = "{0} on {1}, class {2}")
    @CsvSource({"fashion, java, predicted", "fashion, opencl, 3", "residual, java, predicted", "residual, opencl, 7", "residual, java, 2"})
    void camEqualsPyTorchs(String which, String backend, String klass, @TempDir Path dir) throws Exception {
        VizFixtures f = new VizFixtures(which, dir);
        Path maps = dir.resolve("cam.safetensors"), png = dir.resolve("cam.png");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("viz", "cam", f.cnn.toString(), "--weights", f.weights.toString(),
                "--image", f.png.toString(), "--save-maps", maps.toString(), "-o", png.toString(), "--backend", backend));
        if (!klass.equals("predicted")) {
            args.addAll(java.util.List.of("--class", klass));
        }
        CheckCommandTest.Run run = CheckCommandTest.run(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.out() + run.err());
        assertEquals(png.toString(), run.out().strip());
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image.getWidth() >= 3 * 224 && image.getHeight() > 224, image.getWidth() + "x" + image.getHeight());

        Map<String, Map.Entry<int[], float[]>> ours = Safetensors.read(maps);
        String layer = ours.keySet().stream().filter(k -> k.startsWith("cam_")).findFirst().orElseThrow().substring(4);
        java.util.List<String> torchArgs = new java.util.ArrayList<>(java.util.List.of("--layer", layer));
        if (!klass.equals("predicted")) {
            torchArgs.addAll(java.util.List.of("--class", klass));
        }
        Map<String, Map.Entry<int[], float[]>> theirs = f.torch("cam", torchArgs.toArray(String[]::new));
        for (String name : new String[] {"cam", "cam_" + layer, "saliency"}) {
            assertEquals(java.util.Arrays.toString(theirs.get(name).getKey()), java.util.Arrays.toString(ours.get(name).getKey()), name);
            double error = VizFixtures.assertClose(name, ours.get(name).getValue(), theirs.get(name).getValue(), 1e-4);
            System.out.printf("viz cam (%s, %s, class %s) vs PyTorch: %-12s relative error %.2e%n", which, backend, klass,
                    name, error);
        }
    }

    @Test
    void refusesWhatItCannotExplain(@TempDir Path dir) throws Exception {
        VizFixtures f = new VizFixtures("residual", dir);
        CheckCommandTest.Run run = CheckCommandTest.run("viz", "cam", f.cnn.toString(), "--weights", f.weights.toString(), "--image", f.png.toString(),
                "--class", "10");
        assertEquals(Main.USAGE, run.exit());
        assertEquals("cnnc: error: --class 10: Res has 10 classes, 0 to 9\n", run.err());
        run = CheckCommandTest.run("viz", "cam", f.cnn.toString(), "--weights", f.weights.toString(), "--image", f.png.toString(), "--layer", "dense1");
        assertEquals(Main.USAGE, run.exit());
        assertTrue(run.err().startsWith("cnnc: error: --layer dense1: not a layer of Res outside branches with an HxWxC output"), run.err());
    }
}
