package dev.cnnc.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RingAllReduceTest {
    @Test
    void everyRankEndsWithTheSameSum() throws Exception {
        for (int size : new int[] {1, 2, 3, 5}) {
            for (int length : new int[] {1, 4, 1001, 300_007}) {
                Random random = new Random(size * 31L + length);
                float[][] values = new float[size][length];
                double[] expected = new double[length];
                for (int r = 0; r < size; r++) {
                    for (int i = 0; i < length; i++) {
                        values[r][i] = (float) random.nextGaussian();
                        expected[i] += values[r][i];
                    }
                }
                float[][] results = run(size, values, -1);
                for (int r = 0; r < size; r++) {
                    assertArrayEquals(results[0], results[r], "rank " + r + " of " + size + " holds the same bits");
                }
                for (int i = 0; i < length; i++) {
                    assertEquals(expected[i], results[0][i], 1e-5 * size, "element " + i);
                }
            }
        }
    }

    @Test
    void aPeerThatDiesFailsTheOthersAtOnce() {
        long start = System.nanoTime();
        Exception e = assertThrows(Exception.class, () -> run(3, new float[3][100_000], 1));
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "no hang: " + e);
    }

    /** Each rank on a thread sums its array; {@code dies} (if not -1) closes its ring after connecting instead. */
    private static float[][] run(int size, float[][] values, int dies) throws Exception {
        return ThreadRings.run(size, (rank, ring) -> {
            if (rank == dies) {
                throw new IOException("rank " + rank + " dies");
            }
            float[] v = values[rank].clone();
            ring.sum(v);
            return v;
        }).toArray(new float[0][]);
    }
}
