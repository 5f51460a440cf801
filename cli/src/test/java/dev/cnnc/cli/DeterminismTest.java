package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Same seed, same data, same thread count: the same weights, bit for bit (dropout and shuffling included). */
class DeterminismTest {
    static final String MODEL = "model D\ninput 28x28x1\nconv 4 3x3 pad same; maxpool 2; relu\nflatten\ndense 16; relu; dropout 0.3\ndense 10\n"
            + "train { loss cross_entropy; optimizer adam lr 0.002; batch 32; normalize scale 1/255 }\n";

    byte[] train(Path dir, String name, String seed, String threads) throws Exception {
        Path out = dir.resolve(name);
        CheckCommandTest.Run r = CheckCommandTest.run("train", dir.resolve("d.cnn").toString(), "--data",
                "../samples/data/fashion-mnist-small", "--steps", "40", "--seed", seed, "--threads", threads, "--save", out.toString(),
                "--report-every", "0");
        assertEquals(0, r.exit(), r.err());
        return Files.readAllBytes(out);
    }

    @Test
    void sameSeedSameWeights(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("d.cnn"), MODEL);
        for (String threads : new String[] {"1", "2"}) {
            byte[] a = train(dir, "a" + threads, "7", threads);
            byte[] b = train(dir, "b" + threads, "7", threads);
            assertArrayEquals(a, b, "two runs with seed 7 on " + threads + " thread(s)");
            byte[] c = train(dir, "c" + threads, "8", threads);
            assertFalse(Arrays.equals(a, c), "another seed gives other weights");
        }
    }
}
