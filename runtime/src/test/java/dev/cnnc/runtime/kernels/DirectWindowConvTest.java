package dev.cnnc.runtime.kernels;

import static dev.cnnc.runtime.kernels.ConvChecks.check;
import static dev.cnnc.runtime.kernels.ConvChecks.direct;
import static dev.cnnc.runtime.kernels.ConvChecks.random;
import static dev.cnnc.runtime.kernels.ConvChecks.windowMajor;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The direct window-major convolution, forward and weight gradient, against a direct convolution
 * in double precision permuted into window-major order: random shapes (kernels 1-5 by 1-5, padding
 * below the kernel, window rows from 1 to 19, so shorter than a vector, a whole number of them,
 * and in between), filter counts that leave partial blocks, groups at offsets into the
 * batch, random data, outputs poisoned with NaN, plain and Vector API kernels, one and two threads.
 */
class DirectWindowConvTest {
    @Test
    void forwardAndWeightGradientMatchTheDirectConvolution() {
        Random r = new Random(31);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            for (int round = 0; round < 60; round++) {
                int kh = 1 + r.nextInt(5);
                int kw = 1 + r.nextInt(5);
                int c = 1 + r.nextInt(Math.max(1, Math.min(3, DirectWindowConv.MAX_TAPS / (kh * kw))));
                int f = 1 + r.nextInt(round % 4 == 0 ? 33 : 9);
                int ph = r.nextInt(kh);
                int pw = r.nextInt(kw);
                // an even output of 2 .. 38 columns: window rows of 1 .. 19
                int oh = 2 * (1 + r.nextInt(round % 3 == 0 ? 19 : 8));
                int ow = 2 * (1 + r.nextInt(round % 3 == 1 ? 19 : 8));
                int h = oh - 2 * ph + kh - 1;
                int w = ow - 2 * pw + kw - 1;
                if (h < 1 || w < 1) {
                    continue;
                }
                int n = 1 + r.nextInt(4);
                int group = 1 + r.nextInt(n);
                int wOff = 3;
                float[] in = random(r, c * n * h * w);
                float[] params = random(r, wOff + f * c * kh * kw);
                float[] dy = random(r, f * n * oh * ow);
                double[][] expected = direct(in, params, wOff, dy, n, c, f, h, w, kh, kw, ph, pw, oh, ow);
                double[] expectedZ = windowMajor(expected[0], f * n, oh, ow);
                float[] dz = windowMajor(dy, f * n, oh, ow);
                for (Gemm gemm : new Gemm[] {Gemm.of(true), Gemm.of(false)}) {
                    for (Parallel par : new Parallel[] {one, two}) {
                        String what = gemm.getClass().getSimpleName() + " threads " + par.threads() + " c " + c + " f " + f + " " + h + "x" + w
                                + " kernel " + kh + "x" + kw + " pad " + ph + "," + pw + " n " + n + " group " + group;
                        DirectWindowConv conv = new DirectWindowConv(gemm, c, f, h, w, kh, kw, ph, pw, group, par.threads());
                        // z and dz in the conv emitter's whole-batch layout: [F][n * OH * OW]
                        float[] z = new float[f * n * oh * ow];
                        Arrays.fill(z, Float.NaN);
                        conv.prepareForward(params, wOff);
                        par.forChunks(n, group, (e0, e1, p, part, slot) -> conv.forward(p, in, n, e0, e1, z, e0 * oh * ow, n * oh * ow, part));
                        check(what + " forward", expectedZ, z);
                        // the weight gradient added into per-slot parts, as the emitter's code does, then summed
                        int size = f * c * kh * kw;
                        float[] parts = new float[Parallel.slots(par.threads()) * size];
                        par.forChunks(n, group, (e0, e1, p, part, slot) ->
                                conv.weightGradient(p, in, n, e0, e1, dz, e0 * oh * ow, n * oh * ow, parts, slot * size, part));
                        float[] grads = new float[wOff + size];
                        Arrays.fill(grads, Float.NaN);
                        Ops.sumParts(parts, par.slotsOf(n, group), size, grads, wOff);
                        check(what + " weight gradient", expected[2], Arrays.copyOfRange(grads, wOff, grads.length));
                        for (int i = 0; i < wOff; i++) {
                            assertTrue(Float.isNaN(grads[i]), what + ": wrote outside the weights");
                        }
                    }
                }
            }
        }
    }

    @Test
    void rejectsShapesItCannotRun() {
        Gemm gemm = Gemm.of(false);
        assertThrowsMessage("even output plane", () -> new DirectWindowConv(gemm, 1, 4, 5, 6, 3, 3, 1, 1, 1, 1));
        assertThrowsMessage("less than the kernel", () -> new DirectWindowConv(gemm, 1, 4, 4, 4, 3, 3, 3, 0, 1, 1));
        assertTrue(DirectWindowConv.suits(1, 3, 3, 1, 1));
        assertTrue(DirectWindowConv.suits(3, 3, 3, 1, 1));
        assertTrue(!DirectWindowConv.suits(4, 3, 3, 1, 1));
        assertTrue(!DirectWindowConv.suits(1, 3, 3, 2, 1));
    }

    private static void assertThrowsMessage(String part, Runnable r) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
