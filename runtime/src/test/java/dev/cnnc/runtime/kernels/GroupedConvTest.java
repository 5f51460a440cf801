package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * GroupedConv's three passes against a double-precision loop written from torch.nn.Conv2d's
 * definition, on random shapes (groups, depthwise multipliers, strides, dilations, paddings
 * up to the kernel's span) and random data; outputs poisoned with NaN before each run, so a
 * value left unwritten fails.
 */
class GroupedConvTest {
    @RepeatedTest(60)
    void matchesTheDefinition(RepetitionInfo rep) {
        // odd repetitions on the plain-Java runs, even ones on the Vector API's
        Gemm gemm = Gemm.of(rep.getCurrentRepetition() % 2 == 0);
        SplittableRandom r = new SplittableRandom(rep.getCurrentRepetition());
        int groups = 1 + r.nextInt(4);
        int cg = 1 + r.nextInt(3), fg = 1 + r.nextInt(3);
        int c = groups * cg, f = groups * fg;
        int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5), sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3);
        int dh = 1 + r.nextInt(3), dw = 1 + r.nextInt(3);
        int spanH = dh * (kh - 1) + 1, spanW = dw * (kw - 1) + 1;
        int ph = r.nextInt(spanH), pw = r.nextInt(spanW);
        int h = Math.max(1, spanH - 2 * ph) + r.nextInt(9), w = Math.max(1, spanW - 2 * pw) + r.nextInt(9);
        int oh = (h + 2 * ph - spanH) / sh + 1, ow = (w + 2 * pw - spanW) / sw + 1;
        int n = 1 + r.nextInt(rep.getCurrentRepetition() % 3 == 0 ? 40 : 3); // sometimes batches of several units of stacked examples
        String shape = String.format("c %d f %d g %d k %dx%d s %dx%d d %dx%d p %dx%d in %dx%d n %d", c, f, groups, kh, kw, sh, sw, dh, dw, ph, pw,
                h, w, n);
        if (oh < 1 || ow < 1) {
            return;
        }
        int taps = cg * kh * kw;
        float[] params = random(r, f * taps + f);
        int biasOff = f * taps;
        float[] in = random(r, c * n * h * w);
        float[] dz = random(r, f * n * oh * ow);
        GroupedConv conv = new GroupedConv(gemm, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow);

        float[] out = poisoned(f * n * oh * ow);
        for (int u = 0; u < conv.units(n); u++) {
            conv.forward(in, n, u, params, 0, biasOff, out);
        }
        float[] grads = poisoned(f * taps + f);
        for (int g = 0; g < groups; g++) {
            conv.weightGradient(in, dz, n, g, grads, 0, biasOff);
        }
        float[] din = poisoned(c * n * h * w);
        for (int u = 0; u < conv.units(n); u++) {
            conv.inputGradient(dz, n, u, params, 0, din);
        }
        // the combined backward (weights and input, a group at a time) gives the same
        float[] grads2 = poisoned(grads.length);
        float[] din2 = poisoned(din.length);
        for (int g = 0; g < groups; g++) {
            conv.backward(in, dz, n, g, params, grads2, 0, biasOff, din2);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(grads, grads2, shape + ": combined backward's weight gradient");
        org.junit.jupiter.api.Assertions.assertArrayEquals(din, din2, shape + ": combined backward's input gradient");

        double[] refOut = new double[out.length];
        double[] refGrads = new double[grads.length];
        double[] refDin = new double[din.length];
        for (int fi = 0; fi < f; fi++) {
            int c0 = fi / fg * cg;
            for (int b = 0; b < n; b++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int o = ((fi * n + b) * oh + oy) * ow + ox;
                        double s = params[biasOff + fi];
                        refGrads[biasOff + fi] += dz[o];
                        for (int ch = 0; ch < cg; ch++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int iy = oy * sh + i * dh - ph, ix = ox * sw + j * dw - pw;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                        continue;
                                    }
                                    int wi = (fi * cg + ch) * kh * kw + i * kw + j;
                                    int xi = (((c0 + ch) * n + b) * h + iy) * w + ix;
                                    s += params[wi] * in[xi];
                                    refGrads[wi] += (double) dz[o] * in[xi];
                                    refDin[xi] += (double) dz[o] * params[wi];
                                }
                            }
                        }
                        refOut[o] = s;
                    }
                }
            }
        }
        close(out, refOut, shape + ": forward");
        close(grads, refGrads, shape + ": weight and bias gradient");
        close(din, refDin, shape + ": input gradient");
    }

    private static void close(float[] got, double[] want, String what) {
        double scale = 1e-30;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < got.length; i++) {
            double e = Math.abs(got[i] - want[i]) / scale;
            int at = i;
            assertTrue(e < 1e-5, () -> what + " at " + at + ": " + got[at] + " vs " + want[at]);
        }
    }

    private static float[] random(SplittableRandom r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static float[] poisoned(int size) {
        float[] a = new float[size];
        Arrays.fill(a, Float.NaN);
        return a;
    }
}
