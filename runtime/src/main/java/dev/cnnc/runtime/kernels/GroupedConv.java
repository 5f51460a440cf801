package dev.cnnc.runtime.kernels;

/**
 * A grouped or dilated convolution computed directly, plane by plane, over activations laid out
 * [C][n][H][W]: filter f reads the C/G channels of its group, with taps D apart. A depthwise conv
 * (one channel a group) does 9 multiply-adds an output for a 3x3 kernel, so an im2col product of
 * that depth would spend its time moving columns; here each tap is one pass along an output row
 * ({@code out[x] += w * in[x + offset]}, which the JIT vectorises at stride 1), all taps of a row
 * while the row is in the first-level cache.
 *
 * <p>Every method works on whole planes or whole filters, so the callers split planes or filters
 * across threads and the results are the same for any thread count.
 */
public final class GroupedConv {
    private final int c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    private final int cg, fg;

    public GroupedConv(int channels, int h, int w, int filters, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int groups, int oh, int ow) {
        this.c = channels;
        this.h = h;
        this.w = w;
        this.f = filters;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.ph = ph;
        this.pw = pw;
        this.dh = dh;
        this.dw = dw;
        this.groups = groups;
        this.oh = oh;
        this.ow = ow;
        this.cg = channels / groups;
        this.fg = filters / groups;
    }

    /** First output column whose tap at input offset {@code off} (ix = ox * s + off) lies inside [0, size). */
    private static int first(int off, int s) {
        return off >= 0 ? 0 : (-off + s - 1) / s;
    }

    /** One past the last such column, at most {@code outSize}. */
    private static int end(int off, int s, int size, int outSize) {
        int last = size - 1 - off;
        return last < 0 ? 0 : Math.min(outSize, last / s + 1);
    }

    /**
     * Output plane {@code plane} (= filter * n + example) of a batch of n: the convolution plus
     * the filter's bias ({@code biasOff} < 0: none), written over {@code out}'s plane.
     */
    public void forwardPlane(float[] in, int n, int plane, float[] params, int wOff, int biasOff, float[] out) {
        int fi = plane / n, b = plane % n;
        int c0 = fi / fg * cg;
        int o0 = plane * oh * ow;
        float bias = biasOff < 0 ? 0f : params[biasOff + fi];
        java.util.Arrays.fill(out, o0, o0 + oh * ow, bias);
        for (int oy = 0; oy < oh; oy++) {
            int o = o0 + oy * ow;
            for (int ch = 0; ch < cg; ch++) {
                int inPlane = ((c0 + ch) * n + b) * h * w;
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                for (int i = 0; i < kh; i++) {
                    int iy = oy * sh + i * dh - ph;
                    if (iy < 0 || iy >= h) {
                        continue;
                    }
                    int row = inPlane + iy * w;
                    for (int j = 0; j < kw; j++) {
                        int off = j * dw - pw;
                        int x0 = first(off, sw), x1 = end(off, sw, w, ow);
                        float wv = params[wAt + i * kw + j];
                        if (sw == 1) {
                            int src = row + off;
                            for (int x = x0; x < x1; x++) {
                                out[o + x] += wv * in[src + x];
                            }
                        } else {
                            int src = row + off;
                            for (int x = x0; x < x1; x++) {
                                out[o + x] += wv * in[src + x * sw];
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The weight gradient of filter {@code fi}, summed over the batch (in double, in a fixed
     * order), written over {@code grads}; and its bias gradient when {@code biasOff} >= 0.
     */
    public void weightGradient(float[] in, float[] dz, int n, int fi, float[] grads, int wOff, int biasOff) {
        int c0 = fi / fg * cg;
        int taps = cg * kh * kw;
        double[] acc = new double[taps];
        double bias = 0;
        for (int b = 0; b < n; b++) {
            int g0 = (fi * n + b) * oh * ow;
            if (biasOff >= 0) {
                float s = 0f;
                for (int q = g0; q < g0 + oh * ow; q++) {
                    s += dz[q];
                }
                bias += s;
            }
            for (int ch = 0; ch < cg; ch++) {
                int inPlane = ((c0 + ch) * n + b) * h * w;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int off = j * dw - pw;
                        int x0 = first(off, sw), x1 = end(off, sw, w, ow);
                        float s = 0f;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh + i * dh - ph;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            int g = g0 + oy * ow;
                            int src = inPlane + iy * w + off;
                            if (sw == 1) {
                                for (int x = x0; x < x1; x++) {
                                    s += dz[g + x] * in[src + x];
                                }
                            } else {
                                for (int x = x0; x < x1; x++) {
                                    s += dz[g + x] * in[src + x * sw];
                                }
                            }
                        }
                        acc[(ch * kh + i) * kw + j] += s;
                    }
                }
            }
        }
        for (int t = 0; t < taps; t++) {
            grads[wOff + fi * taps + t] = (float) acc[t];
        }
        if (biasOff >= 0) {
            grads[biasOff + fi] = (float) bias;
        }
    }

    /**
     * Input plane {@code plane} (= channel * n + example) of the input gradient, from every
     * filter of the channel's group, written over {@code din}'s plane.
     */
    public void inputGradientPlane(float[] dz, int n, int plane, float[] params, int wOff, float[] din) {
        int ci = plane / n, b = plane % n;
        int gi = ci / cg, ch = ci - gi * cg;
        int d0 = plane * h * w;
        java.util.Arrays.fill(din, d0, d0 + h * w, 0f);
        for (int fi = gi * fg; fi < (gi + 1) * fg; fi++) {
            int g0 = (fi * n + b) * oh * ow;
            int wAt = wOff + (fi * cg + ch) * kh * kw;
            for (int oy = 0; oy < oh; oy++) {
                int g = g0 + oy * ow;
                for (int i = 0; i < kh; i++) {
                    int iy = oy * sh + i * dh - ph;
                    if (iy < 0 || iy >= h) {
                        continue;
                    }
                    int row = d0 + iy * w;
                    for (int j = 0; j < kw; j++) {
                        int off = j * dw - pw;
                        int x0 = first(off, sw), x1 = end(off, sw, w, ow);
                        float wv = params[wAt + i * kw + j];
                        int dst = row + off;
                        if (sw == 1) {
                            for (int x = x0; x < x1; x++) {
                                din[dst + x] += wv * dz[g + x];
                            }
                        } else {
                            for (int x = x0; x < x1; x++) {
                                din[dst + x * sw] += wv * dz[g + x];
                            }
                        }
                    }
                }
            }
        }
    }

    public int filters() {
        return f;
    }

    public int channels() {
        return c;
    }

    public int groups() {
        return groups;
    }
}
