package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The window-major 2x2 max pool (plain and Vector API kernels) against a pool written on the
 * row-major plane, and WindowOrder's im2col and col2im against Ops' with the columns permuted.
 * Random data with planted ties (the first of equal values wins) and NaNs; outputs poisoned.
 */
class WindowPoolTest {
    private static final WindowPool[] KERNELS = {WindowPool.of(Gemm.of(false)), WindowPool.of(Gemm.of(true))};

    @Test
    void poolForwardAndBackwardMatchARowMajorPool() {
        Random r = new Random(5);
        for (int round = 0; round < 60; round++) {
            int oh = 2 * (1 + r.nextInt(9));
            int ow = 2 * (1 + r.nextInt(9));
            int quarter = oh * ow / 4;
            boolean relu = r.nextBoolean();
            float bias = r.nextFloat() - 0.5f;
            float[] plane = new float[oh * ow];
            for (int i = 0; i < plane.length; i++) {
                plane[i] = r.nextInt(4) == 0 ? Math.round(r.nextFloat() * 2) / 2f : r.nextFloat() * 2 - 1; // ties among the halves
            }
            if (round % 10 == 0) {
                plane[r.nextInt(plane.length)] = Float.NaN;
            }
            float[] dy = new float[quarter];
            for (int i = 0; i < quarter; i++) {
                dy[i] = r.nextFloat() * 2 - 1;
            }
            // the expected pool, argmax and gradient on the row-major plane
            float[] y = new float[quarter];
            float[] dz = new float[oh * ow];
            double sum = 0;
            for (int py = 0; py < oh / 2; py++) {
                for (int px = 0; px < ow / 2; px++) {
                    int t = py * (ow / 2) + px;
                    float best = Float.NEGATIVE_INFINITY;
                    int arg = -1;
                    for (int k = 0; k < 4; k++) {
                        float v = plane[(2 * py + k / 2) * ow + 2 * px + k % 2] + bias;
                        if (arg < 0 || v > best || (v != v && best == best)) {
                            best = v;
                            arg = k;
                        }
                    }
                    y[t] = relu ? (best < 0f ? 0f : best) : best; // relu keeps a NaN, as torch.relu does
                    float g = relu && !(y[t] > 0f) ? 0f : dy[t];
                    dz[(2 * py + arg / 2) * ow + 2 * px + arg % 2] = g;
                    sum += g;
                }
            }
            int offset = r.nextInt(5);
            float[] z = new float[offset + plane.length];
            for (int yy = 0; yy < oh; yy++) {
                for (int x = 0; x < ow; x++) {
                    z[offset + ConvChecks.windowMajorIndex(yy, x, oh, ow)] = plane[yy * ow + x];
                }
            }
            for (WindowPool kernel : KERNELS) {
                String what = kernel.getClass().getSimpleName() + " " + oh + "x" + ow + (relu ? " relu" : "");
                float[] out = new float[offset + quarter];
                float[] arg = new float[offset + quarter];
                Arrays.fill(out, Float.NaN);
                Arrays.fill(arg, Float.NaN);
                kernel.forward(z, offset, bias, quarter, relu, out, offset, arg, true);
                for (int t = 0; t < quarter; t++) {
                    assertEquals(y[t], out[offset + t], 0f, what + " y at " + t);
                }
                float[] dyAt = new float[offset + quarter];
                System.arraycopy(dy, 0, dyAt, offset, quarter);
                float[] dzOut = new float[offset + oh * ow];
                Arrays.fill(dzOut, Float.NaN);
                double got = kernel.backward(dyAt, out, arg, offset, quarter, relu, dzOut, offset);
                for (int yy = 0; yy < oh; yy++) {
                    for (int x = 0; x < ow; x++) {
                        assertEquals(dz[yy * ow + x], dzOut[offset + ConvChecks.windowMajorIndex(yy, x, oh, ow)], 0f,
                                what + " dz at " + yy + "," + x);
                    }
                }
                assertEquals(sum, got, 1e-5, what + " bias gradient");
            }
        }
    }

    @Test
    void windowMajorIm2colAndCol2imAreOpsPermuted() {
        Random r = new Random(9);
        try (Parallel two = new Parallel(2)) {
            for (int round = 0; round < 40; round++) {
                int c = 1 + r.nextInt(3);
                int kh = 1 + r.nextInt(3);
                int kw = 1 + r.nextInt(3);
                int sh = 1 + r.nextInt(2);
                int sw = 1 + r.nextInt(2);
                int ph = r.nextInt(kh);
                int pw = r.nextInt(kw);
                int h = kh + r.nextInt(9);
                int w = kw + r.nextInt(9);
                int oh = (h + 2 * ph - kh) / sh + 1;
                int ow = (w + 2 * pw - kw) / sw + 1;
                if (oh % 2 != 0 || ow % 2 != 0) {
                    continue;
                }
                int n = 1 + r.nextInt(3);
                int from = r.nextInt(n);
                int to = from + 1 + r.nextInt(n - from);
                int rows = c * kh * kw;
                int cols = (to - from) * oh * ow;
                float[] in = new float[c * n * h * w];
                for (int i = 0; i < in.length; i++) {
                    in[i] = r.nextFloat() * 2 - 1;
                }
                float[] plain = new float[rows * cols];
                Ops.im2col(Parallel.SERIAL, in, n, from, to, plain, 0, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                float[] windows = new float[3 + rows * cols];
                Arrays.fill(windows, Float.NaN);
                WindowOrder.im2col(two, in, n, from, to, windows, 3, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                float[] dcolPlain = new float[rows * cols];
                float[] dcolWindows = new float[3 + rows * cols];
                String what = c + "x" + h + "x" + w + " kernel " + kh + "x" + kw + " stride " + sh + "x" + sw + " pad " + ph + "x" + pw;
                for (int row = 0; row < rows; row++) {
                    for (int e = 0; e < to - from; e++) {
                        for (int y = 0; y < oh; y++) {
                            for (int x = 0; x < ow; x++) {
                                int a = row * cols + e * oh * ow + y * ow + x;
                                int b = 3 + row * cols + e * oh * ow + ConvChecks.windowMajorIndex(y, x, oh, ow);
                                assertEquals(plain[a], windows[b], 0f, what + " im2col");
                                dcolPlain[a] = r.nextFloat() * 2 - 1;
                                dcolWindows[b] = dcolPlain[a];
                            }
                        }
                    }
                }
                float[] dinPlain = new float[in.length];
                Arrays.fill(dinPlain, 7f); // other examples' planes are left alone by both
                float[] dinWindows = dinPlain.clone();
                Ops.col2im(Parallel.SERIAL, dcolPlain, 0, dinPlain, n, from, to, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                WindowOrder.col2im(two, dcolWindows, 3, dinWindows, n, from, to, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
                for (int i = 0; i < in.length; i++) {
                    assertEquals(dinPlain[i], dinWindows[i], 1e-6f, what + " col2im at " + i);
                }
            }
        }
    }
}
