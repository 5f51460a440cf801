package dev.cnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AugmenterTest {
    static float[] ramp(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    final Augmenter a = new Augmenter(List.of(), 2, 3, 4, new float[] {-7f, -9f}, 1);

    @Test
    void flipMirrorsEachRowAndTwiceIsIdentity() {
        float[] x = ramp(24);
        a.flip(x, 0);
        assertArrayEquals(new float[] {4, 3, 2, 1}, Arrays.copyOfRange(x, 0, 4));
        assertArrayEquals(new float[] {16, 15, 14, 13}, Arrays.copyOfRange(x, 12, 16)); // channel 1, row 0
        a.flip(x, 0);
        assertArrayEquals(ramp(24), x);
    }

    @Test
    void shiftMovesAndFillsWithBlack() {
        float[] x = ramp(24);
        a.shift(x, 0, 1, -2); // down one row, left two columns
        assertArrayEquals(new float[] {-7, -7, -7, -7}, Arrays.copyOfRange(x, 0, 4));
        assertArrayEquals(new float[] {3, 4, -7, -7}, Arrays.copyOfRange(x, 4, 8));
        assertArrayEquals(new float[] {-9, -9, -9, -9}, Arrays.copyOfRange(x, 12, 16));
    }

    @Test
    void rotationByZeroIsIdentityAndByAQuarterTurnPermutes() {
        Augmenter square = new Augmenter(List.of(), 1, 3, 3, new float[] {0}, 1);
        float[] x = ramp(9);
        square.rotate(x, 0, 0);
        assertArrayEquals(ramp(9), x);
        square.rotate(x, 0, Math.PI / 2);
        float[] expected = {3, 6, 9, 2, 5, 8, 1, 4, 7};
        for (int i = 0; i < 9; i++) {
            assertEquals(expected[i], x[i], 1e-5, "at " + i + " of " + Arrays.toString(x));
        }
    }

    /**
     * crop N is torchvision's RandomCrop(size, padding=N) with black fill: each draw is the image
     * moved by some (dy, dx) within N on each axis, the uncovered border black; and over many
     * draws every offset of the (2N+1)^2 occurs.
     */
    @Test
    void cropIsARandomShiftWithinThePadding() {
        int n = 2;
        Augmenter crop = new Augmenter(List.of(new Augmenter.Step(Augmenter.Kind.CROP, n)), 2, 5, 6, new float[] {-7f, -9f}, 3);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (long step = 0; step < 400; step++) {
            float[] x = ramp(60);
            crop.apply(x, 1, step);
            String found = null;
            for (int dy = -n; dy <= n && found == null; dy++) {
                for (int dx = -n; dx <= n && found == null; dx++) {
                    float[] expected = ramp(60);
                    a6(expected, dy, dx);
                    if (Arrays.equals(expected, x)) {
                        found = dy + "," + dx;
                    }
                }
            }
            org.junit.jupiter.api.Assertions.assertNotNull(found, "step " + step + ": not a shift within " + n + ": " + Arrays.toString(x));
            seen.add(found);
        }
        assertEquals((2 * n + 1) * (2 * n + 1), seen.size(), "offsets drawn: " + seen);
    }

    /** The 2x5x6 ramp moved down dy rows and right dx columns, black (-7, -9 per channel) where nothing lands. */
    private static void a6(float[] x, int dy, int dx) {
        float[] src = x.clone();
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 5; y++) {
                for (int xx = 0; xx < 6; xx++) {
                    int sy = y - dy;
                    int sx = xx - dx;
                    x[c * 30 + y * 6 + xx] = sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? src[c * 30 + sy * 6 + sx] : (c == 0 ? -7f : -9f);
                }
            }
        }
    }

    @Test
    void drawsDependOnlyOnSeedAndStep() {
        Augmenter all = new Augmenter(List.of(new Augmenter.Step(Augmenter.Kind.FLIP, 0), new Augmenter.Step(Augmenter.Kind.SHIFT, 1),
                new Augmenter.Step(Augmenter.Kind.ROTATE, 15), new Augmenter.Step(Augmenter.Kind.NOISE, 0.1)), 2, 3, 4, new float[] {0, 0}, 42);
        float[] a1 = ramp(48);
        float[] a2 = ramp(48);
        float[] b = ramp(48);
        all.apply(a1, 2, 7);
        all.apply(a2, 2, 7);
        all.apply(b, 2, 8);
        assertArrayEquals(a1, a2);
        assertFalse(Arrays.equals(a1, b));
    }

    @Test
    void noiseHasTheRequestedSpread() {
        Augmenter noise = new Augmenter(List.of(new Augmenter.Step(Augmenter.Kind.NOISE, 0.5)), 1, 100, 100, new float[] {0}, 3);
        float[] x = new float[10_000];
        noise.apply(x, 1, 0);
        double sq = 0;
        double sum = 0;
        for (float v : x) {
            sum += v;
            sq += v * v;
        }
        assertEquals(0, sum / x.length, 0.02);
        assertEquals(0.5, Math.sqrt(sq / x.length), 0.02);
    }
}
