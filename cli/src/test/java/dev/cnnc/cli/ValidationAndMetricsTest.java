package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.json.JsonReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationAndMetricsTest {
    /** Random labels: nothing to learn, so a large network overfits and the validation loss rises. */
    static void writeNoise(Path dir, String prefix, int count, long seed) throws Exception {
        Random r = new Random(seed);
        byte[] pixels = new byte[count * 64];
        r.nextBytes(pixels);
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) r.nextInt(3);
        }
        Idx.writeUnsignedBytes(dir.resolve(prefix + "-images-idx3-ubyte"), new int[] {count, 8, 8}, pixels);
        Idx.writeUnsignedBytes(dir.resolve(prefix + "-labels-idx1-ubyte"), new int[] {count}, labels);
    }

    @Test
    void earlyStoppingRestoresTheBestEpoch(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        writeNoise(data, "train", 160, 1);
        Path cnn = dir.resolve("o.cnn");
        Files.writeString(cnn, "model O\ninput 8x8x1\nflatten\ndense 64; relu\ndense 3\n"
                + "train { loss cross_entropy; optimizer adam lr 0.01; batch 16; early_stopping patience 2; normalize scale 1/255 }\n");
        Path stopped = dir.resolve("stopped.safetensors");
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "40", "--val-split",
                "0.5", "--seed", "3", "--save", stopped.toString(), "--run-dir", dir.resolve("run").toString());
        assertEquals(0, r.exit(), r.err());
        Matcher m = Pattern.compile("early stopping: the validation loss has not improved for 2 epochs; restored the weights of epoch (\\d+)")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        int best = Integer.parseInt(m.group(1));
        assertTrue(r.out().contains("validation: 80 of the training examples"), r.out());
        assertTrue(r.out().contains("val loss"), r.out());
        List<String> csv = Files.readAllLines(dir.resolve("run/metrics.csv"));
        assertEquals(best + 2 + 1, csv.size(), "header and one row per epoch run: " + csv);
        assertTrue(csv.get(0).startsWith("epoch,train_loss,train_accuracy,val_loss,val_accuracy"));

        // the restored weights are those of a run that trained exactly `best` epochs
        Path exact = dir.resolve("exact.safetensors");
        CheckCommandTest.Run again = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs",
                Integer.toString(best), "--val-split", "0.5", "--seed", "3", "--patience", "0", "--save", exact.toString(), "--run-dir",
                dir.resolve("run2").toString());
        assertEquals(0, again.exit(), again.err());
        assertArrayEquals(Files.readAllBytes(exact), Files.readAllBytes(stopped));
    }

    @Test
    void testSetGivesAccuracyConfusionAndMetricsFiles(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableSplits(data, 240);
        Path cnn = dir.resolve("m.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY);
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "2", "--run-dir",
                dir.resolve("run").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("test accuracy"), r.out());
        assertTrue(r.out().contains("confusion matrix (rows: true class, columns: predicted)"), r.out());
        Map<?, ?> json = (Map<?, ?>) JsonReader.parse(Files.readString(dir.resolve("run/metrics.json")));
        assertEquals(2, ((List<?>) json.get("epochs")).size());
        Map<?, ?> test = (Map<?, ?>) json.get("test");
        long total = 0;
        for (Object row : (List<?>) test.get("confusion")) {
            for (Object v : (List<?>) row) {
                total += (Long) v;
            }
        }
        assertEquals(240L, total, "the confusion matrix counts every test image");
        assertEquals(240L, test.get("count"));
    }
}
