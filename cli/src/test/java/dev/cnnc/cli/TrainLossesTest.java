package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Idx;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cnnc train with each kind of loss, schedules and L1, and the failures a user can cause. */
class TrainLossesTest {
    /** 6x6 images whose targets are the mean brightness of their two halves: a regression a small net learns. */
    static void writeRegressionData(Path dir, int count) throws Exception {
        Random r = new Random(2);
        byte[] pixels = new byte[count * 36];
        float[] targets = new float[count * 2];
        for (int e = 0; e < count; e++) {
            double left = 0;
            double right = 0;
            for (int i = 0; i < 36; i++) {
                int v = r.nextInt(256);
                pixels[e * 36 + i] = (byte) v;
                if (i % 6 < 3) {
                    left += v / 255.0 / 18;
                } else {
                    right += v / 255.0 / 18;
                }
            }
            targets[e * 2] = (float) left;
            targets[e * 2 + 1] = (float) right;
        }
        Idx.writeUnsignedBytes(dir.resolve("train-images-idx3-ubyte"), new int[] {count, 6, 6}, pixels);
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve("train-labels-idx2-float")))) {
            out.writeInt(0x00000D02);
            out.writeInt(count);
            out.writeInt(2);
            for (float t : targets) {
                out.writeFloat(t);
            }
        }
    }

    static double firstAndLastEpochLoss(String out, boolean last) {
        Matcher m = Pattern.compile("epoch \\d+  loss ([0-9.]+)").matcher(out);
        double first = -1;
        double latest = -1;
        while (m.find()) {
            latest = Double.parseDouble(m.group(1));
            if (first < 0) {
                first = latest;
            }
        }
        return last ? latest : first;
    }

    @Test
    void regressionLossesLearnFromFloatTargets(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        writeRegressionData(data, 256);
        for (String loss : new String[] {"mse", "mae", "huber delta 0.5"}) {
            Path cnn = dir.resolve("r.cnn");
            Files.writeString(cnn, "model R\ninput 6x6x1\nflatten\ndense 8; tanh\ndense 2\ntrain { loss " + loss
                    + "; optimizer adam lr 0.01; batch 32; l1 0.0001; schedule step 2 gamma 0.5; normalize scale 1/255 }\n");
            CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "6",
                    "--report-every", "0");
            assertEquals(0, r.exit(), r.err());
            assertFalse(r.out().contains("accuracy"), "no accuracy for regression: " + r.out());
            assertTrue(firstAndLastEpochLoss(r.out(), true) < firstAndLastEpochLoss(r.out(), false) * 0.5, loss + ": " + r.out());
        }
    }

    @Test
    void classificationLossesTrain(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableIdx(data, 384);
        for (String loss : new String[] {"nll", "hinge", "mse"}) {
            Path cnn = dir.resolve("c.cnn");
            // nll on a softmax output is cross-entropy; hinge takes the scores; mse on softmax needs float targets
            Files.writeString(cnn, "model C\ninput 8x8x1\nflatten\ndense 3\nsoftmax\ntrain { loss " + loss
                    + "; optimizer sgd lr 0.2 momentum 0.9 nesterov; schedule cosine; normalize scale 1/255 }\n");
            CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "4",
                    "--report-every", "0");
            if (loss.equals("mse")) {
                assertEquals(1, r.exit());
                assertTrue(r.err().contains("loss mse needs float targets (a float IDX labels file)"), r.err());
                continue;
            }
            assertEquals(0, r.exit(), r.err());
            assertTrue(firstAndLastEpochLoss(r.out(), true) < firstAndLastEpochLoss(r.out(), false), loss + ": " + r.out());
        }
    }

    @Test
    void divergenceNamesTheStep(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableIdx(data, 64);
        Path cnn = dir.resolve("d.cnn");
        Files.writeString(cnn, "model D\ninput 8x8x1\nflatten\ndense 3\ntrain { loss cross_entropy; optimizer sgd lr 1e38 }\n");
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "3");
        assertEquals(1, r.exit());
        assertTrue(Pattern.compile("cnnc: error: the (loss|gradient of dense1\\.\\w+) became (NaN|-?Infinity) at step \\d+").matcher(r.err()).find(),
                r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
