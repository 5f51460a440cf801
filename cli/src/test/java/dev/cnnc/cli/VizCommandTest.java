package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.cli.viz.FilterGrid;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Initializer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cnnc viz filters}: the PNG, decoded, gives back each filter's weights' order — in every
 * tile the brightest pixel is where the filter's largest weight is and the darkest where its
 * smallest is (per colour for a layer on 3 channels) — and bad requests are one-line errors.
 */
class VizCommandTest {
    @Test
    void filterTilesShowEachFiltersWeights(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("two.cnn");
        Files.writeString(cnn, "model Two\ninput 12x12x3\nconv 5 3x3 pad same; relu\nconv 4 3x2 groups 1\nflatten\ndense 2\n");
        CheckedModel model = Frontend.check(SourceFiles.read(cnn)).model();
        Path weights = dir.resolve("w.safetensors");
        try (Network net = JavaBackend.build(model, 1, 1, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 9);
            Safetensors.save(net, weights);
        }
        Map<String, Map.Entry<int[], float[]>> t = Safetensors.read(weights);
        for (String layer : new String[] {"conv1", "conv2"}) {
            Path png = dir.resolve(layer + ".png");
            CheckCommandTest.Run run = CheckCommandTest.run("viz", "filters", cnn.toString(), "--weights", weights.toString(), "--layer", layer,
                    "-o", png.toString());
            assertEquals(0, run.exit(), run.out() + run.err());
            assertEquals(png.toString(), run.out().strip());
            BufferedImage image = ImageIO.read(png.toFile());
            int[] shape = t.get(layer + ".weight").getKey();
            float[] w = t.get(layer + ".weight").getValue();
            int filters = shape[0], channels = shape[1], kh = shape[2], kw = shape[3], s = FilterGrid.scale(kh, kw);
            int per = channels * kh * kw;
            for (int f = 0; f < filters; f++) {
                // each filter normalised on its own: its smallest weight 0, its largest 255
                float fLo = Float.POSITIVE_INFINITY, fHi = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < per; i++) {
                    fLo = Math.min(fLo, w[f * per + i]);
                    fHi = Math.max(fHi, w[f * per + i]);
                }
                int tiles = FilterGrid.rgb(channels) ? 1 : channels;
                for (int c = 0; c < (FilterGrid.rgb(channels) ? 3 : tiles); c++) {
                    int[] o = FilterGrid.origin(f, FilterGrid.rgb(channels) ? 0 : c, channels, kh, kw);
                    int shift = FilterGrid.rgb(channels) ? 16 - 8 * c : 0; // red, green, blue for channels 0, 1, 2
                    int brightest = -1, darkest = -1, hi = -1, lo = 256;
                    float wHi = Float.NEGATIVE_INFINITY, wLo = Float.POSITIVE_INFINITY;
                    int wBrightest = -1, wDarkest = -1;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            // every pixel of the weight's block holds its level
                            int level = (image.getRGB(o[0] + j * s + s / 2, o[1] + i * s + s / 2) >> shift) & 0xff;
                            assertEquals(level, (image.getRGB(o[0] + j * s, o[1] + i * s) >> shift) & 0xff, "a block is one level");
                            float v = w[f * per + (c * kh + i) * kw + j];
                            assertEquals((v - fLo) / (fHi - fLo) * 255, level, 0.51, "the pixel's level is the weight's");
                            if (level > hi) { hi = level; brightest = i * kw + j; }
                            if (level < lo) { lo = level; darkest = i * kw + j; }
                            // the weights' order as 256 levels show it (two weights 1/510 of the range apart share a level)
                            float shown = Math.round((v - fLo) / (fHi - fLo) * 255);
                            if (shown > wHi) { wHi = shown; wBrightest = i * kw + j; }
                            if (shown < wLo) { wLo = shown; wDarkest = i * kw + j; }
                        }
                    }
                    String where = layer + " filter " + f + " channel " + c;
                    assertEquals(wBrightest, brightest, where + ": the largest weight is the brightest pixel");
                    assertEquals(wDarkest, darkest, where + ": the smallest weight is the darkest pixel");
                }
            }
        }
        CheckCommandTest.Run bad = CheckCommandTest.run("viz", "filters", cnn.toString(), "--weights", weights.toString(), "--layer", "dense1");
        assertEquals(Main.USAGE, bad.exit());
        assertTrue(bad.err().contains("--layer dense1: Two has no conv layer of that name; its convs are conv1, conv2"), bad.err());
        Path other = dir.resolve("other.cnn");
        Files.writeString(other, "model Other\ninput 12x12x3\nconv 7 3x3\nflatten\ndense 2\n");
        CheckCommandTest.Run wrong = CheckCommandTest.run("viz", "filters", other.toString(), "--weights", weights.toString());
        assertEquals(Main.FILE_ERRORS, wrong.exit());
        assertTrue(wrong.err().contains("conv1.weight is [5, 3, 3, 3], but Other's conv1 (conv 7 3x3) has [7, 3, 3, 3]"), wrong.err());
        assertTrue(!wrong.err().contains("Exception"), wrong.err());
    }
}
