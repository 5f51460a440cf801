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
 * Winograd F(2x2, 3x3) forward, weight gradient and input gradient against a direct 3x3
 * convolution in double precision, on random shapes (odd sizes, padding 0-2, one to a few
 * examples per group, groups at offsets into the batch), random data, outputs poisoned with NaN,
 * both products and one or two threads.
 */
class WinogradTest {
    /** Planes (pad 1) whose output transforms go a vector of tiles at a time into row-major rows, with 8 or 16 lanes. */
    private static final int[][] ROW_RUNS = {{32, 32}, {16, 16}, {8, 8}, {16, 32}, {4, 16}, {8, 16}, {6, 32}};

    @Test
    void forwardAndBothGradientsMatchTheDirectConvolution() {
        Random r = new Random(17);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            for (int round = 0; round < 40 + ROW_RUNS.length; round++) {
                int c = 1 + r.nextInt(round % 5 == 0 ? 40 : 9);
                int f = 1 + r.nextInt(round % 4 == 0 ? 33 : 7);
                int ph = r.nextInt(3);
                int pw = r.nextInt(3);
                int h = Math.max(3 - 2 * ph, 1) + r.nextInt(11);
                // some rows wider than two vectors (16 floats on AVX2), so the vector copies run more than one chunk a row
                int w = Math.max(3 - 2 * pw, 1) + r.nextInt(round % 7 == 1 ? 40 : 11);
                if (round % 3 == 0) {
                    // an even output, so the window-major order (a 2x2 pool after the conv) is tried too
                    h += (h + 2 * ph - 2) % 2;
                    w += (w + 2 * pw - 2) % 2;
                }
                if (round >= 40) {
                    // ResNet's planes: whole vectors of tiles per tile row or rows, written to the planes a vector at a time
                    h = ROW_RUNS[round - 40][0];
                    w = ROW_RUNS[round - 40][1];
                    ph = 1;
                    pw = 1;
                }
                int oh = h + 2 * ph - 2;
                int ow = w + 2 * pw - 2;
                int n = 1 + r.nextInt(4);
                int group = 1 + r.nextInt(n);
                float[] in = random(r, c * n * h * w);
                float[] params = random(r, 5 + f * c * 9);
                float[] dy = random(r, f * n * oh * ow);
                double[][] expected = direct(in, params, 5, dy, n, c, f, h, w, 3, 3, ph, pw, oh, ow);
                boolean[] orders = oh % 2 == 0 && ow % 2 == 0 ? new boolean[] {false, true} : new boolean[] {false};
                for (boolean windowMajor : orders) {
                    double[] expectedZ = windowMajor ? windowMajor(expected[0], f * n, oh, ow) : expected[0];
                    float[] dyIn = windowMajor ? windowMajor(dy, f * n, oh, ow) : dy;
                    for (Gemm gemm : new Gemm[] {Gemm.of(true), Gemm.of(false)}) {
                        for (Parallel par : new Parallel[] {one, two}) {
                            String what = gemm.getClass().getSimpleName() + " threads " + par.threads() + " c " + c + " f " + f + " " + h + "x"
                                    + w + " pad " + ph + "," + pw + " n " + n + " group " + group + (windowMajor ? " window-major" : "");
                            Winograd wino = new Winograd(gemm, c, f, h, w, ph, pw, group, par.threads(), windowMajor);
                            // z and dy in the conv emitter's whole-batch layout: [F][n * OH * OW]
                            float[] z = new float[f * n * oh * ow];
                            Arrays.fill(z, Float.NaN);
                            wino.prepareForward(params, 5);
                            par.forChunks(n, group, (e0, e1, p, part, slot) -> wino.forward(p, in, n, e0, e1, z, e0 * oh * ow, n * oh * ow, part));
                            check(what + " forward", expectedZ, z);
                            float[] din = new float[in.length];
                            Arrays.fill(din, Float.NaN);
                            float[] grads = new float[params.length];
                            Arrays.fill(grads, Float.NaN);
                            wino.prepareBackward(params, 5, true, par.slotsOf(n, group));
                            par.forChunks(n, group, (e0, e1, p, part, slot) ->
                                    wino.backward(p, in, n, e0, e1, dyIn, e0 * oh * ow, n * oh * ow, din, part, slot));
                            wino.finishBackward(grads, 5);
                            check(what + " input gradient", expected[1], din);
                            check(what + " weight gradient", expected[2], Arrays.copyOfRange(grads, 5, grads.length));
                            for (int i = 0; i < 5; i++) {
                                assertTrue(Float.isNaN(grads[i]), what + ": wrote outside the weights");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void changedWeightsAreTransformedAgainAndUnchangedOnesReused() {
        Random r = new Random(23);
        int c = 5;
        int f = 7;
        int h = 6;
        int w = 5;
        int n = 3;
        float[] in = random(r, c * n * h * w);
        float[] params = random(r, 5 + f * c * 9);
        float[] dy = random(r, f * n * h * w);
        try (Parallel two = new Parallel(2)) {
            for (Gemm gemm : new Gemm[] {Gemm.of(true), Gemm.of(false)}) {
                Winograd wino = new Winograd(gemm, c, f, h, w, 1, 1, 1, 2, false);
                // one that only infers keeps its packing while the weights are unchanged; wino trains from its first
                // backward on, packing at every pass
                Winograd infers = new Winograd(gemm, c, f, h, w, 1, 1, 1, 2, false);
                // the same instances through a sequence of weights: the last weight changed, one in the middle,
                // none (the cached transform), and the first again; each against a direct conv of the weights now
                int[] changed = {-1, params.length - 1, 5 + f * c * 9 / 2, -1, 5};
                for (int step = 0; step < changed.length; step++) {
                    if (changed[step] >= 0) {
                        params[changed[step]] += 0.75f;
                    }
                    double[][] expected = direct(in, params, 5, dy, n, c, f, h, w, 3, 3, 1, 1, h, w);
                    String what = gemm.getClass().getSimpleName() + " step " + step;
                    float[] z = new float[f * n * h * w];
                    Arrays.fill(z, Float.NaN);
                    wino.prepareForward(params, 5);
                    two.forChunks(n, 1, (e0, e1, p, part, slot) -> wino.forward(p, in, n, e0, e1, z, e0 * h * w, n * h * w, part));
                    check(what + " forward", expected[0], z);
                    Arrays.fill(z, Float.NaN);
                    infers.prepareForward(params, 5);
                    two.forChunks(n, 1, (e0, e1, p, part, slot) -> infers.forward(p, in, n, e0, e1, z, e0 * h * w, n * h * w, part));
                    check(what + " forward of a conv that only infers", expected[0], z);
                    if (step == 3) {
                        params[5 + f * c * 9 - 2] -= 0.5f; // between forward and backward: the input gradient must see it
                        expected = direct(in, params, 5, dy, n, c, f, h, w, 3, 3, 1, 1, h, w);
                    }
                    float[] din = new float[in.length];
                    Arrays.fill(din, Float.NaN);
                    float[] grads = new float[params.length];
                    wino.prepareBackward(params, 5, true, two.slotsOf(n, 1));
                    two.forChunks(n, 1, (e0, e1, p, part, slot) ->
                            wino.backward(p, in, n, e0, e1, dy, e0 * h * w, n * h * w, din, part, slot));
                    wino.finishBackward(grads, 5);
                    check(what + " input gradient", expected[1], din);
                    check(what + " weight gradient", expected[2], Arrays.copyOfRange(grads, 5, grads.length));
                }
            }
        }
    }

    /**
     * Convolutions of one network share one {@link Winograd.Scratch}: run in turn (a chain of two of
     * different shapes, forward then backward in reverse, as a training step does), each computes
     * bit for bit what it computes with buffers of its own.
     */
    @Test
    void convolutionsSharingTheirScratchComputeAsAlone() {
        Random r = new Random(5);
        int n = 3;
        try (Parallel par = new Parallel(2)) {
            Winograd.Scratch shared = new Winograd.Scratch();
            int[][] shapes = {{3, 8, 12, 12}, {8, 5, 12, 12}}; // c, f, h, w (pad 1: the output as large as the input)
            float[][] results = new float[2][];
            for (int run = 0; run < 2; run++) {
                Random data = new Random(9);
                Gemm gemm = Gemm.of(true);
                Winograd[] convs = new Winograd[2];
                for (int i = 0; i < 2; i++) {
                    int[] s = shapes[i];
                    convs[i] = run == 0 ? new Winograd(gemm, s[0], s[1], s[2], s[3], 1, 1, 2, par.threads(), false)
                            : new Winograd(gemm, s[0], s[1], s[2], s[3], 1, 1, 2, par.threads(), false, shared);
                }
                float[] x = random(data, 3 * n * 144);
                float[] params = random(data, 8 * 3 * 9 + 5 * 8 * 9);
                float[] y1 = new float[8 * n * 144];
                float[] y2 = new float[5 * n * 144];
                float[] dy2 = random(data, y2.length);
                float[] dy1 = new float[y1.length];
                float[] dx = new float[x.length];
                float[] grads = new float[params.length];
                int w2 = 8 * 3 * 9;
                // two training steps, the weights changed between them: each pass packs them into the shared scratch anew
                for (int step = 0; step < 2; step++) {
                    if (step == 1) {
                        for (int i = 0; i < params.length; i++) {
                            params[i] -= 0.1f * grads[i];
                        }
                        Arrays.fill(grads, 0f);
                    }
                    convs[0].prepareForward(params, 0, true);
                    par.forChunks(n, 2, (e0, e1, p, part, slot) -> convs[0].forward(p, x, n, e0, e1, y1, e0 * 144, n * 144, part));
                    convs[1].prepareForward(params, w2, true);
                    par.forChunks(n, 2, (e0, e1, p, part, slot) -> convs[1].forward(p, y1, n, e0, e1, y2, e0 * 144, n * 144, part));
                    convs[1].prepareBackward(params, w2, true, par.slotsOf(n, 2));
                    par.forChunks(n, 2, (e0, e1, p, part, slot) -> convs[1].backward(p, y1, n, e0, e1, dy2, e0 * 144, n * 144, dy1, part,
                            slot));
                    convs[1].finishBackward(grads, w2);
                    convs[0].prepareBackward(params, 0, true, par.slotsOf(n, 2));
                    par.forChunks(n, 2, (e0, e1, p, part, slot) -> convs[0].backward(p, x, n, e0, e1, dy1, e0 * 144, n * 144, dx, part, slot));
                    convs[0].finishBackward(grads, 0);
                }
                float[] all = new float[y2.length + dx.length + grads.length];
                System.arraycopy(y2, 0, all, 0, y2.length);
                System.arraycopy(dx, 0, all, y2.length, dx.length);
                System.arraycopy(grads, 0, all, y2.length + dx.length, grads.length);
                results[run] = all;
            }
            assertTrue(Arrays.equals(results[0], results[1]), "shared scratch changed the results");
            for (float v : results[1]) {
                assertTrue(Float.isFinite(v), "finite results");
            }
        }
    }
}
