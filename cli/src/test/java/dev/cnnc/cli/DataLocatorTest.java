package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLocatorTest {
    @Test
    void explicitThenEnvironmentThenDebianThenShipped(@TempDir Path dir) throws Exception {
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Path env = Files.createDirectories(dir.resolve("env"));
        Path debian = dir.resolve("debian");
        Path shipped = Path.of("../samples/data/fashion-mnist-small");
        assertEquals(mine, DataLocator.locate(mine, Map.of("CNNC_DATA", env.toString()), debian, shipped).dir());
        assertNull(DataLocator.locate(mine, Map.of(), debian, shipped).note());
        assertEquals(env, DataLocator.locate(null, Map.of("CNNC_DATA", env.toString()), debian, shipped).dir());
        assertEquals(shipped, DataLocator.locate(null, Map.of(), debian, shipped).dir());
        assertTrue(DataLocator.locate(null, Map.of(), debian, shipped).note().contains("subset shipped with cnnc"));
        Files.createDirectories(debian);
        assertEquals(debian, DataLocator.locate(null, Map.of(), debian, shipped).dir());
    }

    @Test
    void missingDataSaysHowToGetIt(@TempDir Path dir) {
        Models.Stop none = assertThrows(Models.Stop.class, () -> DataLocator.locate(null, Map.of(), dir.resolve("a"), dir.resolve("b")));
        assertTrue(none.getMessage().contains("apt-get install -y dataset-fashion-mnist"), none.getMessage());
        Models.Stop badEnv = assertThrows(Models.Stop.class,
                () -> DataLocator.locate(null, Map.of("CNNC_DATA", dir.resolve("x").toString()), dir.resolve("a"), dir.resolve("b")));
        assertTrue(badEnv.getMessage().startsWith("CNNC_DATA="), badEnv.getMessage());
        assertEquals(2, assertThrows(Models.Stop.class, () -> DataLocator.locate(dir.resolve("nope"), Map.of(), dir, dir)).exitCode);
    }

    @Test
    void theShippedSubsetTrainsTheSample() {
        CheckCommandTest.Run r = CheckCommandTest.run("train", "../samples/fashion_mnist.cnn", "--data",
                "../samples/data/fashion-mnist-small", "--steps", "30", "--report-every", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("5,000 examples (test: 1,000)"), r.out());
        // 30 steps of 64 on the real subset: well above chance (0.10); measured 0.69-0.72
        assertTrue(testAccuracy(r.out()) > 0.5, r.out());
    }

    /** The final "test accuracy X" a training run prints. */
    static double testAccuracy(String out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("test accuracy ([0-9.]+) \\(").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }
}
