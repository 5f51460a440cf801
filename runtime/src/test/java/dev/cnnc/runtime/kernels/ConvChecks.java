package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

/**
 * What the convolution kernels' tests share: random data, the double-precision direct convolution
 * they are checked against, the window-major permutation of planes ({@link WindowOrder}'s order,
 * written out independently of it), and the comparison of a float result with the reference.
 */
final class ConvChecks {
    private ConvChecks() {
    }

    /** Each plane [oh][ow] as four quarters, quarter 2 * dy + dx holding (2 py + dy, 2 px + dx) at py * ow / 2 + px. */
    static int windowMajorIndex(int y, int x, int oh, int ow) {
        return ((y % 2) * 2 + x % 2) * (oh * ow / 4) + (y / 2) * (ow / 2) + x / 2;
    }

    /** Where each entry of {@code count} row-major planes goes in window-major order. */
    static int[] windowMajorOrder(int count, int oh, int ow) {
        int[] to = new int[count * oh * ow];
        for (int q = 0; q < count; q++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    to[(q * oh + y) * ow + x] = q * oh * ow + windowMajorIndex(y, x, oh, ow);
                }
            }
        }
        return to;
    }

    static double[] windowMajor(double[] planes, int count, int oh, int ow) {
        int[] to = windowMajorOrder(count, oh, ow);
        double[] out = new double[planes.length];
        for (int i = 0; i < planes.length; i++) {
            out[to[i]] = planes[i];
        }
        return out;
    }

    static float[] windowMajor(float[] planes, int count, int oh, int ow) {
        int[] to = windowMajorOrder(count, oh, ow);
        float[] out = new float[planes.length];
        for (int i = 0; i < planes.length; i++) {
            out[to[i]] = planes[i];
        }
        return out;
    }

    static void check(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            // float32 sums of up to a few thousand products of values in [-1, 1]: 1e-5 of the largest entry
            assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, scale), what + " at " + i);
        }
    }

    /**
     * {z, dIn, dW} of a stride-1 correlation with zero padding, in double: z and dy [F][n][oh][ow],
     * the input and dIn [C][n][h][w], the weights [F][C][kh][kw] at {@code wOff} of params.
     */
    static double[][] direct(float[] in, float[] params, int wOff, float[] dy, int n, int c, int f, int h, int w, int kh, int kw, int ph,
                             int pw, int oh, int ow) {
        double[] z = new double[f * n * oh * ow];
        double[] din = new double[c * n * h * w];
        double[] dw = new double[f * c * kh * kw];
        for (int o = 0; o < f; o++) {
            for (int e = 0; e < n; e++) {
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        int zi = ((o * n + e) * oh + y) * ow + x;
                        double s = 0;
                        for (int ch = 0; ch < c; ch++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int iy = y + i - ph;
                                    int ix = x + j - pw;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                        continue;
                                    }
                                    int ii = ((ch * n + e) * h + iy) * w + ix;
                                    int wi = ((o * c + ch) * kh + i) * kw + j;
                                    s += (double) params[wOff + wi] * in[ii];
                                    din[ii] += (double) params[wOff + wi] * dy[zi];
                                    dw[wi] += (double) in[ii] * dy[zi];
                                }
                            }
                        }
                        z[zi] = s;
                    }
                }
            }
        }
        return new double[][] {z, din, dw};
    }

    /** Uniform in [-1, 1): never all zeros. */
    static float[] random(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }
}
