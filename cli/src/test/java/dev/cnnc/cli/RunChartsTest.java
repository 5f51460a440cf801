package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cnnc train} draws curves.png and confusion.png in its run folder: both decode, the
 * curves hold the training series' blue and the validation series' red, the confusion matrix is
 * a cell a class pair shaded by the share of its row.
 */
class RunChartsTest {
    @Test
    void trainingDrawsItsCurvesAndConfusion(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        CheckCommandTest.Run r = CheckCommandTest.run("train", "../samples/fashion_mnist.cnn", "--data", "../samples/data/fashion-mnist-small",
                "--epochs", "2", "--val-split", "0.2", "--patience", "5", "--run-dir", run.toString(), "--threads", "2");
        assertEquals(0, r.exit(), r.out() + r.err());
        BufferedImage curves = ImageIO.read(run.resolve("curves.png").toFile());
        assertEquals(900, curves.getWidth());
        assertEquals(640, curves.getHeight());
        assertTrue(count(curves, 0x1f77b4) > 200, "the training series is drawn");
        assertTrue(count(curves, 0xd62728) > 200, "the validation series is drawn");
        assertTrue(count(curves, 0x2ca02c) > 50, "the best epoch is marked");
        BufferedImage confusion = ImageIO.read(run.resolve("confusion.png").toFile());
        assertTrue(confusion.getWidth() > 400 && confusion.getHeight() > 400);
        // the names come from the data's classes.txt; the diagonal is dark (most of each row)
        assertTrue(Files.readString(Path.of("../samples/data/fashion-mnist-small/classes.txt")).contains("Trouser"));
        assertTrue(count(confusion, 0x08306b) + darkBlue(confusion) > 1000, "the diagonal cells are shaded");
    }

    private static int count(BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xffffff) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    private static int darkBlue(BufferedImage image) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int red = p >> 16 & 0xff, blue = p & 0xff;
                n += red < 100 && blue > 120 ? 1 : 0;
            }
        }
        return n;
    }
}
