package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Idx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segmentation through {@code cnnc train}: samples/unet_small.cnn, with no --data, finds the
 * shipped shapes set (squares and discs on noise, tools/make_shapes.py) and learns its masks to
 * a pixel accuracy of at least 0.95 on the 200 held-out test images; masks that do not fit the
 * model's output are refused before training, naming the shapes.
 */
class SegmentationTest {
    @Test
    void uNetLearnsTheShippedShapes() throws Exception {
        CheckCommandTest.Run run = CheckCommandTest.run("train", "../samples/unet_small.cnn", "--threads", "2");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("synthetic shapes set shipped with cnnc"), run.out());
        Matcher m = Pattern.compile("test loss [0-9.]+  test accuracy ([0-9.]+) \\(200 images; accuracy and confusion count their 204,800 pixels\\)")
                .matcher(run.out());
        assertTrue(m.find(), run.out());
        double accuracy = Double.parseDouble(m.group(1));
        System.out.printf(Locale.ROOT, "unet_small on the shapes set: test pixel accuracy %.4f%n", accuracy);
        assertTrue(accuracy >= 0.95, "pixel accuracy " + accuracy + "\n" + run.out());
    }

    @Test
    void masksOfTheWrongSizeAreRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        Idx.writeUnsignedBytes(dir.resolve("train-images-idx3-ubyte"), new int[] {4, 32, 32}, new byte[4 * 32 * 32]);
        Idx.writeUnsignedBytes(dir.resolve("train-labels-idx3-ubyte"), new int[] {4, 16, 16}, new byte[4 * 16 * 16]);
        CheckCommandTest.Run run = CheckCommandTest.run("train", "../samples/unet_small.cnn", "--data", dir.toString());
        assertEquals(Main.FILE_ERRORS, run.exit(), run.out() + run.err());
        assertTrue(run.err().contains("the labels must be masks [N,32,32], one byte a pixel, but the file is [4, 16, 16]"), run.err());
        assertTrue(!run.err().contains("Exception"), run.err());
        Files.delete(dir.resolve("train-labels-idx3-ubyte"));
        Idx.writeUnsignedBytes(dir.resolve("train-labels-idx1-ubyte"), new int[] {4}, new byte[4]);
        run = CheckCommandTest.run("train", "../samples/unet_small.cnn", "--data", dir.toString());
        assertEquals(Main.FILE_ERRORS, run.exit(), run.out() + run.err());
        assertTrue(run.err().contains("so the labels must be masks [N,32,32]"), run.err());
    }
}
