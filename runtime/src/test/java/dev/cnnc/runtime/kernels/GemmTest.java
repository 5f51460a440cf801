package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both products against a double-precision triple loop, on random shapes (tails, partial tiles, k-blocks) and random data. */
class GemmTest {
    @Test
    void productsMatchDoublePrecision() {
        Random r = new Random(5);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            for (int round = 0; round < 60; round++) {
                int m = 1 + r.nextInt(40);
                int n = 1 + r.nextInt(round < 50 ? 80 : 1200);
                int k = r.nextInt(round % 7 == 0 ? 700 : 40); // includes k = 0 and k over one block
                boolean accumulate = r.nextBoolean();
                float[] a = random(r, m * k + 3);
                float[] b = random(r, k * n + 5);
                float[] c0 = random(r, m * n + 7);
                double[] expected = new double[m * n];
                double[] magnitude = new double[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = accumulate ? c0[7 + i * n + j] : 0;
                        double sum = Math.abs(s);
                        for (int p = 0; p < k; p++) {
                            s += (double) a[3 + i * k + p] * b[5 + p * n + j];
                            sum += Math.abs((double) a[3 + i * k + p] * b[5 + p * n + j]);
                        }
                        expected[i * n + j] = s;
                        magnitude[i * n + j] = sum;
                    }
                }
                // A once more as T = A^T [k][m], for the transposed packing
                float[] t = random(r, k * m + 2);
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        t[2 + p * m + i] = a[3 + i * k + p];
                    }
                }
                for (Gemm g : new Gemm[] {Gemm.of(true), Gemm.of(false)}) {
                    for (Parallel par : new Parallel[] {one, two}) {
                        float[] c = c0.clone();
                        g.multiply(par, m, n, k, a, 3, k, b, 5, n, c, 7, n, accumulate);
                        check(g.getClass().getSimpleName(), m, n, k, c0, c, expected, magnitude);
                        for (boolean transposed : new boolean[] {false, true}) {
                            float[] packed = new float[g.packedSize(m, k)];
                            Arrays.fill(packed, Float.NaN); // packing writes every entry, the padding rows' zeros too
                            g.pack(transposed ? t : a, transposed ? 2 : 3, transposed ? m : k, transposed, m, k, packed);
                            float[] cp = c0.clone();
                            g.multiplyPacked(par, m, n, k, packed, b, 5, n, cp, 7, n, accumulate);
                            check(g.getClass().getSimpleName() + (transposed ? " packed from A^T" : " packed"), m, n, k, c0, cp, expected, magnitude);
                        }
                    }
                }
            }
        }
    }

    @Test
    void transposedProductsMatchDoublePrecision() {
        Random r = new Random(6);
        try (Parallel two = new Parallel(2)) {
            for (int round = 0; round < 40; round++) {
                // every fourth round one or two whole panels (16, 32 columns): A's rows are then read in place
                boolean narrow = round % 4 == 1;
                int m = 1 + r.nextInt(narrow ? 70 : 30);
                int n = narrow ? 16 * (1 + r.nextInt(2)) : 1 + r.nextInt(round % 3 == 0 ? 300 : 30); // wide enough for column splits and packed tiles
                int k = r.nextInt(round % 5 == 0 ? 3000 : 60);
                boolean accumulate = r.nextBoolean();
                // rows longer than k (as Winograd's tiles, padded to whole vectors) every other round
                int lda = k + (round % 2 == 0 ? 0 : r.nextInt(9));
                int ldb = k + (round % 2 == 0 ? 0 : r.nextInt(9));
                float[] a = random(r, m * lda + 1);
                float[] b = random(r, n * ldb + 2);
                float[] c0 = random(r, m * n + 3);
                for (Gemm g : new Gemm[] {Gemm.of(true), Gemm.of(false)}) {
                    float[] c = c0.clone();
                    g.multiplyTransposed(two, m, n, k, a, 1, lda, b, 2, ldb, c, 3, n, accumulate);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = accumulate ? c0[3 + i * n + j] : 0;
                            double magnitude = Math.abs(s);
                            for (int p = 0; p < k; p++) {
                                s += (double) a[1 + i * lda + p] * b[2 + j * ldb + p];
                                magnitude += Math.abs((double) a[1 + i * lda + p] * b[2 + j * ldb + p]);
                            }
                            final double expected = s;
                            final int at = i * n + j;
                            // float summation error grows with the sum of |terms|, not with the result
                            final double bound = 1e-6 * (1 + magnitude);
                            assertTrue(Math.abs(c[3 + at] - expected) <= bound,
                                    () -> g.getClass().getSimpleName() + " NT " + m + "x" + n + "x" + k + " at " + at + ": " + c[3 + at] + " vs " + expected);
                        }
                    }
                }
            }
        }
    }

    @Test
    void transposeIsExact() {
        Random r = new Random(1);
        float[] src = random(r, 2 + 37 * 53);
        float[] dst = new float[1 + 37 * 53];
        Gemm.transpose(src, 2, 37, 53, dst, 1);
        float[] parallel = new float[dst.length];
        try (Parallel two = new Parallel(2)) {
            Gemm.transpose(two, src, 2, 37, 53, parallel, 1);
        }
        assertTrue(Arrays.equals(dst, parallel));
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 53; j++) {
                assertEquals(src[2 + i * 53 + j], dst[1 + j * 37 + i]);
            }
        }
    }

    /** c (at offset 7) against the double-precision product, the 7 floats before it untouched. */
    /** Float summation error grows with the sum of |terms| (magnitude), not with the result. */
    private static void check(String what, int m, int n, int k, float[] c0, float[] c, double[] expected, double[] magnitude) {
        for (int i = 0; i < m * n; i++) {
            double err = Math.abs(c[7 + i] - expected[i]);
            final int at = i;
            assertTrue(err <= 1e-6 * (1 + magnitude[i]),
                    () -> what + " " + m + "x" + n + "x" + k + " at " + at + ": " + c[7 + at] + " vs " + expected[at]);
        }
        assertTrue(Arrays.equals(Arrays.copyOfRange(c0, 0, 7), Arrays.copyOfRange(c, 0, 7)), what + ": wrote before the offset");
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }
}
