package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The samples' Fashion-MNIST net trained for 200 steps with Adam on the shipped real subset,
 * once on the Java backend and once on OpenCL (PoCL in CI), from the same seed: the loss of
 * every step agrees to 1e-3 relative, and it falls.
 */
class OpenClTrainingTest {
    static final int STEPS = 200;
    static final Pattern STEP = Pattern.compile("(?m)^step (\\d+)  loss (\\S+)");

    @Test
    void twoHundredStepsOnOpenClFollowTheJavaBackend(@TempDir Path dir) throws Exception {
        List<Double> java = losses("java", dir);
        List<Double> cl = losses("opencl", dir);
        assertEquals(STEPS, java.size());
        assertEquals(STEPS, cl.size());
        for (int i = 0; i < STEPS; i++) {
            double rel = Math.abs(java.get(i) - cl.get(i)) / Math.abs(java.get(i));
            int step = i + 1;
            assertTrue(rel <= 1e-3, () -> "step " + step + ": Java " + java.get(step - 1) + ", OpenCL " + cl.get(step - 1));
        }
        double first = java.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = cl.subList(STEPS - 10, STEPS).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.5 * first, "the loss falls: " + first + " -> " + last);
    }

    static List<Double> losses(String backend, Path dir) throws Exception {
        CheckCommandTest.Run run = CheckCommandTest.run("train", "../samples/fashion_mnist.cnn", "--data", "../samples/data/fashion-mnist-small",
                "--steps", Integer.toString(STEPS), "--batch", "32", "--seed", "5", "--report-every", "1", "--backend", backend,
                "--run-dir", Files.createDirectories(dir.resolve(backend)).toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        List<Double> out = new ArrayList<>();
        Matcher m = STEP.matcher(run.out());
        while (m.find()) {
            out.add(Double.parseDouble(m.group(2)));
        }
        return out;
    }
}
