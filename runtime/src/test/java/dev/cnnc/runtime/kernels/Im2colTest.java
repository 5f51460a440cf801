package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * im2col and col2im against their definitions on random geometries: "same" convolutions (the
 * one-copy path), strided, padded more than the kernel and unpadded ones, outputs poisoned first;
 * the whole batch, and a group of its examples written at an offset (a convolution's group).
 */
class Im2colTest {
    @Test
    void matchDefinitions() {
        Random r = new Random(11);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            for (int round = 0; round < 300; round++) {
                int n = 1 + r.nextInt(3), c = 1 + r.nextInt(3);
                int h = 1 + r.nextInt(9), w = 1 + r.nextInt(9);
                int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5);
                int sh = round % 3 == 0 ? 1 + r.nextInt(3) : 1, sw = round % 4 == 0 ? 1 + r.nextInt(3) : 1;
                // most rounds "same" along the width (ow == w, the fast path), others any padding
                int ph = r.nextInt(kh + 1), pw = round % 2 == 0 && sw == 1 && kw % 2 == 1 ? (kw - 1) / 2 : r.nextInt(kw + 1);
                int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1;
                if (oh < 1 || ow < 1) {
                    continue;
                }
                int cols = n * oh * ow, rows = c * kh * kw;
                float[] in = random(r, c * n * h * w);
                float[] dcol = random(r, rows * cols);
                // the definitions: col reads in where the window lies inside (0 elsewhere); din sums what read it
                float[] expected = new float[rows * cols];
                double[] din = new double[in.length];
                for (int row = 0; row < rows; row++) {
                    int ch = row / (kh * kw), i = row / kw % kh, j = row % kw;
                    for (int b = 0; b < n; b++) {
                        for (int y = 0; y < oh; y++) {
                            for (int x = 0; x < ow; x++) {
                                int iy = y * sh + i - ph, ix = x * sw + j - pw;
                                int at = row * cols + (b * oh + y) * ow + x;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    int source = ((ch * n + b) * h + iy) * w + ix;
                                    expected[at] = in[source];
                                    din[source] += dcol[at];
                                }
                            }
                        }
                    }
                }
                String where = "n" + n + " c" + c + " " + h + "x" + w + " k" + kh + "x" + kw + " s" + sh + "," + sw + " p" + ph + "," + pw;
                for (Parallel par : new Parallel[] {one, two}) {
                    float[] col = new float[rows * cols];
                    Arrays.fill(col, Float.NaN);
                    Ops.im2col(par, in, col, n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                    for (int q = 0; q < col.length; q++) {
                        assertEquals(expected[q], col[q], 0f, where + " im2col at " + q);
                    }
                    float[] got = new float[in.length];
                    Arrays.fill(got, Float.NaN);
                    Ops.col2im(par, dcol.clone(), got, n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                    for (int q = 0; q < got.length; q++) {
                        assertEquals(din[q], got[q], 1e-5 * (1 + Math.abs(din[q])), where + " col2im at " + q);
                    }
                    // a group of examples [e0, e1), at an offset in its buffer, as a convolution's group lowers it
                    int e0 = r.nextInt(n), e1 = e0 + 1 + r.nextInt(n - e0), off = r.nextInt(5);
                    int part = (e1 - e0) * oh * ow;
                    float[] group = new float[off + rows * part];
                    Arrays.fill(group, Float.NaN);
                    Ops.im2col(par, in, n, e0, e1, group, off, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                    float[] dgroup = new float[off + rows * part];
                    for (int row = 0; row < rows; row++) {
                        for (int q = 0; q < part; q++) {
                            int at = row * cols + e0 * oh * ow + q;
                            assertEquals(expected[at], group[off + row * part + q], 0f, where + " im2col of [" + e0 + ", " + e1 + ") at " + at);
                            dgroup[off + row * part + q] = dcol[at];
                        }
                    }
                    Arrays.fill(got, Float.NaN);
                    Ops.col2im(par, dgroup, off, got, n, e0, e1, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                    for (int q = 0; q < got.length; q++) {
                        int b = q / (h * w) % n;
                        if (b >= e0 && b < e1) {
                            assertEquals(din[q], got[q], 1e-5 * (1 + Math.abs(din[q])), where + " col2im of [" + e0 + ", " + e1 + ") at " + q);
                        } else {
                            assertEquals(Float.NaN, got[q], where + " col2im of [" + e0 + ", " + e1 + ") wrote outside, at " + q);
                        }
                    }
                }
            }
        }
    }

    private static float[] random(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }
}
