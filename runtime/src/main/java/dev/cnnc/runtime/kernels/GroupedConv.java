package dev.cnnc.runtime.kernels;

/**
 * A grouped or dilated convolution computed directly, a group of one example at a time, over
 * activations laid out [C][n][H][W]: filter f reads the C/G channels of its group, with taps D
 * apart. A depthwise conv (one channel a group) does only 9 multiply-adds an output for a 3x3
 * kernel, so an im2col product of that depth would spend its time moving columns.
 *
 * <p>Each input plane is first split into stride x stride <em>phase planes</em> of the padded
 * input (phase (a, b) holds padded rows a, a + S, ... and columns b, b + S, ...), each Wq
 * columns wide, Wq the output width plus the kernel's reach in phase columns. Then every tap of
 * the kernel reads one phase plane at a fixed offset, so its contribution to a whole output
 * plane is one contiguous multiply-add ({@code acc[q] += w * phase[q + offset]}) over OH x Wq
 * values, which the JIT vectorises, instead of one short loop per output row; the columns past
 * OW are never copied out. Backward runs the same passes in reverse: the input gradient adds
 * into phase planes of the gradient, then scatters them back; the weight gradient is a dot
 * product per tap over the same runs, with the output gradient's extra columns zero.
 *
 * <p>Forward and the input gradient work per (group, example), the weight gradient per group
 * over the whole batch in a fixed order, so callers split those units across threads and the
 * result is the same for any thread count. Scratch planes are per thread.
 */
public final class GroupedConv {
    private final int c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    private final int cg, fg;
    /** Phase planes' width and rows (one row more than taps reach, so the last tap's run stays inside). */
    private final int wq, hq;
    private final int phaseSize;
    private final ThreadLocal<float[]> scratch;

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
        this.wq = ow + (kw - 1) * dw / sw;
        this.hq = oh + (kh - 1) * dh / sh + 1;
        this.phaseSize = hq * wq;
        int phases = cg * sh * sw * phaseSize;
        int outs = fg * oh * wq;
        this.scratch = ThreadLocal.withInitial(() -> new float[phases + outs]);
    }

    private int phaseAt(int ch, int a, int b) {
        return ((ch * sh + a) * sw + b) * phaseSize;
    }

    /** Offset of tap (i, j) within its phase plane. */
    private int tapOffset(int i, int j) {
        return (i * dh / sh) * wq + j * dw / sw;
    }

    /** The phase planes of input plane {@code plane} into {@code s} at {@code at}, zero where they fall in the padding. */
    private void phases(float[] in, int plane, float[] s, int at) {
        int base = plane * h * w;
        for (int a = 0; a < sh; a++) {
            for (int b = 0; b < sw; b++) {
                int p = at + (a * sw + b) * phaseSize;
                for (int y = 0; y < hq; y++) {
                    int iy = y * sh + a - ph;
                    int row = p + y * wq;
                    if (iy < 0 || iy >= h) {
                        java.util.Arrays.fill(s, row, row + wq, 0f);
                        continue;
                    }
                    int src = base + iy * w;
                    for (int x = 0; x < wq; x++) {
                        int ix = x * sw + b - pw;
                        s[row + x] = ix >= 0 && ix < w ? in[src + ix] : 0f;
                    }
                }
            }
        }
    }

    /** Output-gradient plane {@code plane} widened to Wq columns (the extra ones zero) into {@code s} at {@code at}. */
    private void widen(float[] dz, int plane, float[] s, int at) {
        for (int y = 0; y < oh; y++) {
            System.arraycopy(dz, plane * oh * ow + y * ow, s, at + y * wq, ow);
            java.util.Arrays.fill(s, at + y * wq + ow, at + (y + 1) * wq, 0f);
        }
    }

    /**
     * The output planes of group {@code unit / n}, example {@code unit % n}: the convolution plus
     * the filters' biases ({@code biasOff} < 0: none), written over {@code out}'s planes.
     */
    public void forward(float[] in, int n, int unit, float[] params, int wOff, int biasOff, float[] out) {
        int g = unit / n, b = unit % n;
        float[] s = scratch.get();
        int accAt = cg * sh * sw * phaseSize;
        for (int ch = 0; ch < cg; ch++) {
            phases(in, (g * cg + ch) * n + b, s, phaseAt(ch, 0, 0));
        }
        int run = oh * wq;
        for (int fi = g * fg; fi < (g + 1) * fg; fi++) {
            java.util.Arrays.fill(s, accAt, accAt + run, 0f);
            for (int ch = 0; ch < cg; ch++) {
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float wv = params[wAt + i * kw + j];
                        int src = phaseAt(ch, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                        for (int q = 0; q < run; q++) {
                            s[accAt + q] += wv * s[src + q];
                        }
                    }
                }
            }
            float bias = biasOff < 0 ? 0f : params[biasOff + fi];
            int o = (fi * n + b) * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    out[o + y * ow + x] = s[accAt + y * wq + x] + bias;
                }
            }
        }
    }

    /**
     * The weight gradients of group {@code g}'s filters, summed over the batch (each tap's sum in
     * double, examples in order), written over {@code grads}; and their bias gradients when
     * {@code biasOff} >= 0.
     */
    public void weightGradient(float[] in, float[] dz, int n, int g, float[] grads, int wOff, int biasOff) {
        float[] s = scratch.get();
        int dzAt = cg * sh * sw * phaseSize;
        int run = oh * wq;
        int taps = cg * kh * kw;
        double[] acc = new double[fg * taps];
        double[] bias = new double[fg];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < cg; ch++) {
                phases(in, (g * cg + ch) * n + b, s, phaseAt(ch, 0, 0));
            }
            for (int k = 0; k < fg; k++) {
                int fi = g * fg + k;
                int d = dzAt + k * run;
                widen(dz, fi * n + b, s, d);
                if (biasOff >= 0) {
                    bias[k] += sum(s, d, run);
                }
                for (int ch = 0; ch < cg; ch++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int src = phaseAt(ch, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                            acc[k * taps + (ch * kh + i) * kw + j] += dot(s, d, src, run);
                        }
                    }
                }
            }
        }
        for (int k = 0; k < fg; k++) {
            int fi = g * fg + k;
            for (int t = 0; t < taps; t++) {
                grads[wOff + fi * taps + t] = (float) acc[k * taps + t];
            }
            if (biasOff >= 0) {
                grads[biasOff + fi] = (float) bias[k];
            }
        }
    }

    /**
     * The input-gradient planes of group {@code unit / n}, example {@code unit % n}, from every
     * filter of the group, written over {@code din}'s planes.
     */
    public void inputGradient(float[] dz, int n, int unit, float[] params, int wOff, float[] din) {
        int g = unit / n, b = unit % n;
        float[] s = scratch.get();
        int dzAt = cg * sh * sw * phaseSize;
        int run = oh * wq;
        for (int k = 0; k < fg; k++) {
            widen(dz, (g * fg + k) * n + b, s, dzAt + k * run);
        }
        // one channel's gradient phases at a time, in the first channel's phase planes
        for (int ch = 0; ch < cg; ch++) {
            java.util.Arrays.fill(s, 0, sh * sw * phaseSize, 0f);
            for (int k = 0; k < fg; k++) {
                int fi = g * fg + k;
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                int d = dzAt + k * run;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float wv = params[wAt + i * kw + j];
                        int dst = phaseAt(0, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                        for (int q = 0; q < run; q++) {
                            s[dst + q] += wv * s[d + q];
                        }
                    }
                }
            }
            int base = ((g * cg + ch) * n + b) * h * w;
            for (int iy = 0; iy < h; iy++) {
                int py = iy + ph, a = py % sh, y = py / sh;
                for (int ix = 0; ix < w; ix++) {
                    int px = ix + pw;
                    int x = px / sw;
                    din[base + iy * w + ix] = y < hq && x < wq ? s[((a * sw + px % sw) * phaseSize) + y * wq + x] : 0f;
                }
            }
        }
    }

    /** A sum in four independent float sums (a fixed order, so the same result every run). */
    private static float sum(float[] s, int at, int len) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        int q = 0;
        for (; q + 3 < len; q += 4) {
            a0 += s[at + q];
            a1 += s[at + q + 1];
            a2 += s[at + q + 2];
            a3 += s[at + q + 3];
        }
        for (; q < len; q++) {
            a0 += s[at + q];
        }
        return (a0 + a1) + (a2 + a3);
    }

    /** A dot product in four independent float sums (a fixed order, so the same result every run). */
    private static float dot(float[] s, int x, int y, int len) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        int q = 0;
        for (; q + 3 < len; q += 4) {
            a0 += s[x + q] * s[y + q];
            a1 += s[x + q + 1] * s[y + q + 1];
            a2 += s[x + q + 2] * s[y + q + 2];
            a3 += s[x + q + 3] * s[y + q + 3];
        }
        for (; q < len; q++) {
            a0 += s[x + q] * s[y + q];
        }
        return (a0 + a1) + (a2 + a3);
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
