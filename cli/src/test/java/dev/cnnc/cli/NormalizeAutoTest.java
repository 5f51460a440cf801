package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NormalizeAutoTest {
    @Test
    void statisticsComeFromTheTrainingSetAndTravelWithTheWeights(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableSplits(data, 240);
        Path cnn = dir.resolve("n.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY.replace("normalize scale 1/255", "normalize scale 1/255 auto"));
        Path w = dir.resolve("w.safetensors");
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "2", "--save",
                w.toString(), "--run-dir", dir.resolve("run").toString());
        assertEquals(0, r.exit(), r.err());
        Matcher stats = Pattern.compile("normalize auto: mean \\[([0-9.]+)\\], std \\[([0-9.]+)\\]").matcher(r.out());
        assertTrue(stats.find(), r.out());
        float[] saved = Safetensors.read(w).get("normalize.mean").getValue();
        assertEquals(Float.parseFloat(stats.group(1)), saved[0], 1e-6);
        assertTrue(saved[0] > 0.1 && saved[0] < 0.5, "mean of scaled pixels: " + saved[0]);

        Matcher trained = Pattern.compile("test accuracy ([0-9.]+)").matcher(r.out());
        assertTrue(trained.find(), r.out());
        CheckCommandTest.Run p = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--data", data.toString());
        assertEquals(0, p.exit(), p.err());
        assertTrue(p.out().contains("accuracy " + trained.group(1)), "predict applies the saved statistics: " + p.out() + " vs " + r.out());
    }
}
