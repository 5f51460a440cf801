package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API copy into deinterleaved planes against the plain one, float for float: random
 * plane sizes (rows shorter than a vector, several vectors long, in between), padding 0-3, half
 * rows from the smallest that holds a padded row to two vectors more, planes at random offsets in
 * their arrays (the last row's loads near the input's end), the floats around the plane poisoned
 * so a write outside it shows.
 */
class DeinterleavedTest {
    @Test
    void vectorCopyWritesWhatThePlainCopyWrites() {
        Random r = new Random(41);
        for (int round = 0; round < 400; round++) {
            int h = 1 + r.nextInt(20);
            int w = 1 + r.nextInt(round % 4 == 0 ? 50 : 18);
            int ph = r.nextInt(4);
            int pw = r.nextInt(4);
            int hr = (w + 2 * pw + 1) / 2 + r.nextInt(17);
            int src = r.nextInt(30);
            float[] in = new float[src + h * w + (round % 2 == 0 ? 0 : r.nextInt(40))];
            for (int i = 0; i < in.length; i++) {
                in[i] = r.nextFloat() * 2 - 1;
            }
            int at = r.nextInt(50);
            int planeSize = (h + 2 * ph) * 2 * hr;
            float[] expected = new float[at + planeSize + 50];
            Arrays.fill(expected, Float.NaN);
            Arrays.fill(expected, at, at + planeSize, 0f);
            float[] actual = expected.clone();
            Deinterleaved.copy(in, src, h, w, ph, pw, expected, at, hr);
            VectorDeinterleaved.copy(in, src, h, w, ph, pw, actual, at, hr);
            assertArrayEquals(expected, actual, h + "x" + w + " pad " + ph + "," + pw + " half row " + hr + " at " + at);
        }
    }
}
