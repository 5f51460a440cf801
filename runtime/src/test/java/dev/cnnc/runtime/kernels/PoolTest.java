package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The two-pass pool against a scan of each window in row-major order (the definition): random
 * windows, strides, padding per side and ceil-mode sizes; values with ties and NaNs, so the
 * argmax rule (first extreme, last NaN) is exercised; outputs poisoned first.
 */
class PoolTest {
    @Test
    void twoPassesEqualTheWindowScan() {
        Random r = new Random(5);
        try (Parallel par = new Parallel(2)) {
            for (int trial = 0; trial < 400; trial++) {
                int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4), sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3);
                int ph = r.nextInt(kh / 2 + 1), pb = r.nextInt(kh / 2 + 1), pw = r.nextInt(kw / 2 + 1), pr = r.nextInt(kw / 2 + 1);
                int h = kh + r.nextInt(9), w = kw + r.nextInt(9), planes = 1 + r.nextInt(4);
                boolean ceil = r.nextBoolean();
                int oh = extent(h, kh, sh, ph, pb, ceil), ow = extent(w, kw, sw, pw, pr, ceil);
                int op = r.nextInt(3);
                float[] in = new float[planes * h * w];
                boolean nans = r.nextBoolean(); // planes without NaN take the masked two-pass argmax, with them the scan
                for (int i = 0; i < in.length; i++) {
                    int kind = r.nextInt(nans ? 20 : 19) + (nans ? 0 : 1);
                    in[i] = kind == 0 ? Float.NaN : kind < 6 ? r.nextInt(3) : (float) r.nextGaussian();
                }
                float[] out = new float[planes * oh * ow];
                int[] arg = new int[out.length];
                java.util.Arrays.fill(out, Float.NaN);
                java.util.Arrays.fill(arg, -7);
                Ops.pool(par, op, in, out, arg, planes, h, w, kh, kw, sh, sw, ph, pw, pb, pr, oh, ow);
                float[] inferred = new float[out.length];
                java.util.Arrays.fill(inferred, Float.NaN);
                Ops.pool(par, op, in, inferred, new int[0], planes, h, w, kh, kw, sh, sw, ph, pw, pb, pr, oh, ow, false);
                org.junit.jupiter.api.Assertions.assertArrayEquals(out, inferred, "inference (no argmax) gives the same values");
                for (int p = 0; p < planes; p++) {
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            int o = p * oh * ow + y * ow + x;
                            float best = 0, sum = 0;
                            int at = -1;
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int iy = y * sh - ph + i, ix = x * sw - pw + j;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                        continue;
                                    }
                                    float v = in[p * h * w + iy * w + ix];
                                    sum += v;
                                    if (at < 0 || (op == 0 ? v > best : v < best) || Float.isNaN(v)) {
                                        best = v;
                                        at = p * h * w + iy * w + ix;
                                    }
                                }
                            }
                            String where = "trial " + trial + " op " + op + " output " + o;
                            if (op == 1) {
                                float area = Ops.windowArea(y, x, kh, kw, sh, sw, ph, pw, h + pb, w + pr);
                                float want = sum / area;
                                if (Float.isNaN(want)) {
                                    assertEquals(Float.NaN, out[o], where);
                                } else {
                                    assertEquals(want, out[o], 1e-5f * Math.max(1, Math.abs(want)), where);
                                }
                            } else {
                                assertEquals(at, arg[o], where);
                                assertEquals(best, out[o], where);
                            }
                        }
                    }
                }
            }
        }
    }

    private static int extent(int n, int k, int s, int lead, int trail, boolean ceil) {
        int span = n + lead + trail - k;
        if (!ceil) {
            return span / s + 1;
        }
        int out = (span + s - 1) / s + 1;
        return (out - 1) * s >= n + lead ? out - 1 : out;
    }
}
