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
    /**
     * A thread's scratch: phase planes, and the accumulated or widened output planes, in two
     * arrays: a multiply-add between two places of one array is one the JIT cannot prove free of
     * overlap, and it leaves it scalar.
     */
    private record Scratch(float[] phases, float[] acc, float[] wide, float[] gradPhases, float[] partials) {
    }

    /**
     * Per-tap partial sums of a group's weight gradient up to this many floats: each tap's products
     * are added element-wise into a run of their own over the batch (vectorised multiply-adds) and
     * summed once at the end; beyond it (many channels a group), a dot product per tap and example.
     */
    private static final int PARTIALS = 1 << 16;

    private final ThreadLocal<Scratch> scratch;

    private final Runs runs;

    /** With the Vector API's runs when {@code gemm} is the Vector API product (see {@link Runs}). */
    public GroupedConv(Gemm gemm, int channels, int h, int w, int filters, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int groups, int oh, int ow) {
        this.runs = Runs.of(gemm);
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
        int phases = Math.max(cg, 1) * sh * sw * phaseSize;
        int outs = fg * oh * wq;
        int partials = fg * cg * kh * kw * oh * wq;
        // Each array has one use, so what a use never writes stays as allocated, zero: the phase
        // planes' padding, and the widened gradient's columns past OW, are zero once and for all.
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(new float[phases], new float[oh * wq], new float[outs],
                new float[sh * sw * phaseSize], new float[partials <= PARTIALS ? partials : 0]));
    }

    private int phaseAt(int ch, int a, int b) {
        return ((ch * sh + a) * sw + b) * phaseSize;
    }

    /** Offset of tap (i, j) within its phase plane. */
    private int tapOffset(int i, int j) {
        return (i * dh / sh) * wq + j * dw / sw;
    }

    /** First phase column (or row) x whose input position x * s + b - pad lies at 0 or after. */
    private static int firstInside(int s, int b, int pad) {
        return Math.max(0, (pad - b + s - 1) / s);
    }

    /** One past the last phase column (or row) whose input position lies before {@code size}, at most {@code limit}. */
    private static int endInside(int s, int b, int pad, int size, int limit) {
        int last = size - 1 + pad - b;
        return last < 0 ? 0 : Math.min(limit, last / s + 1);
    }

    /**
     * The phase planes of input plane {@code plane} into {@code s} at {@code at}: only the places
     * inside the input are written; those in the padding were zero from the start and stay so.
     */
    private void phases(float[] in, int plane, float[] s, int at) {
        int base = plane * h * w;
        for (int a = 0; a < sh; a++) {
            int y0 = firstInside(sh, a, ph), y1 = endInside(sh, a, ph, h, hq);
            for (int b = 0; b < sw; b++) {
                int p = at + (a * sw + b) * phaseSize;
                int x0 = firstInside(sw, b, pw), x1 = endInside(sw, b, pw, w, wq);
                for (int y = y0; y < y1; y++) {
                    int src = base + (y * sh + a - ph) * w + b - pw;
                    int row = p + y * wq;
                    if (sw == 1) {
                        System.arraycopy(in, src + x0, s, row + x0, x1 - x0);
                    } else {
                        for (int x = x0; x < x1; x++) {
                            s[row + x] = in[src + x * sw];
                        }
                    }
                }
            }
        }
    }

    /** Output-gradient plane {@code plane} widened to Wq columns into {@code s} at {@code at}; the extra columns stay zero. */
    private void widen(float[] dz, int plane, float[] s, int at) {
        if (wq == ow) {
            System.arraycopy(dz, plane * oh * ow, s, at, oh * ow);
            return;
        }
        for (int y = 0; y < oh; y++) {
            System.arraycopy(dz, plane * oh * ow + y * ow, s, at + y * wq, ow);
        }
    }

    /**
     * The output planes of group {@code unit / n}, example {@code unit % n}: the convolution plus
     * the filters' biases ({@code biasOff} < 0: none), written over {@code out}'s planes.
     */
    public void forward(float[] in, int n, int unit, float[] params, int wOff, int biasOff, float[] out) {
        int g = unit / n, b = unit % n;
        Scratch sc = scratch.get();
        float[] s = sc.phases();
        float[] acc = sc.acc();
        for (int ch = 0; ch < cg; ch++) {
            phases(in, (g * cg + ch) * n + b, s, phaseAt(ch, 0, 0));
        }
        int run = oh * wq;
        for (int fi = g * fg; fi < (g + 1) * fg; fi++) {
            float bias = biasOff < 0 ? 0f : params[biasOff + fi];
            int o = (fi * n + b) * oh * ow;
            // accumulate straight into the output plane when it has no columns past OW
            float[] into = wq == ow ? out : acc;
            int at = wq == ow ? o : 0;
            java.util.Arrays.fill(into, at, at + run, bias);
            for (int ch = 0; ch < cg; ch++) {
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float wv = params[wAt + i * kw + j];
                        int src = phaseAt(ch, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                        runs.axpy(into, at, wv, s, src, run);
                    }
                }
            }
            if (into == acc) {
                for (int y = 0; y < oh; y++) {
                    System.arraycopy(acc, y * wq, out, o + y * ow, ow);
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
        Scratch sc = scratch.get();
        float[] s = sc.phases();
        float[] wide = sc.wide();
        int run = oh * wq;
        int taps = cg * kh * kw;
        double[] acc = new double[fg * taps];
        double[] bias = new double[fg];
        float[] part = sc.partials();
        boolean partials = part.length > 0;
        if (partials) {
            java.util.Arrays.fill(part, 0f);
        }
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < cg; ch++) {
                phases(in, (g * cg + ch) * n + b, s, phaseAt(ch, 0, 0));
            }
            for (int k = 0; k < fg; k++) {
                int fi = g * fg + k;
                int d = k * run;
                widen(dz, fi * n + b, wide, d);
                if (biasOff >= 0) {
                    bias[k] += runs.sum(wide, d, run);
                }
                for (int ch = 0; ch < cg; ch++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int src = phaseAt(ch, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                            int t = k * taps + (ch * kh + i) * kw + j;
                            if (partials) {
                                runs.multiplyAdd(part, t * run, wide, d, s, src, run);
                            } else {
                                acc[t] += dot(wide, d, s, src, run);
                            }
                        }
                    }
                }
            }
        }
        if (partials) {
            for (int t = 0; t < fg * taps; t++) {
                acc[t] = runs.sum(part, t * run, run);
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
        Scratch sc = scratch.get();
        float[] s = sc.gradPhases();
        float[] wide = sc.wide();
        int run = oh * wq;
        for (int k = 0; k < fg; k++) {
            widen(dz, (g * fg + k) * n + b, wide, k * run);
        }
        // one channel's gradient phases at a time
        for (int ch = 0; ch < cg; ch++) {
            java.util.Arrays.fill(s, 0f);
            for (int k = 0; k < fg; k++) {
                int fi = g * fg + k;
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                int d = k * run;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float wv = params[wAt + i * kw + j];
                        int dst = phaseAt(0, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                        runs.axpy(s, dst, wv, wide, d, run);
                    }
                }
            }
            // back from the phases: input (iy, ix) is padded (iy + ph, ix + pw), phase (py % S, px % S) at (py / S, px / S);
            // an input past the phases' reach was read by no output, its gradient 0
            int base = ((g * cg + ch) * n + b) * h * w;
            java.util.Arrays.fill(din, base, base + h * w, 0f);
            for (int a = 0; a < sh; a++) {
                int y0 = firstInside(sh, a, ph), y1 = endInside(sh, a, ph, h, hq);
                for (int bb = 0; bb < sw; bb++) {
                    int p = (a * sw + bb) * phaseSize;
                    int x0 = firstInside(sw, bb, pw), x1 = endInside(sw, bb, pw, w, wq);
                    for (int y = y0; y < y1; y++) {
                        int dst = base + (y * sh + a - ph) * w + bb - pw;
                        int row = p + y * wq;
                        if (sw == 1) {
                            System.arraycopy(s, row + x0, din, dst + x0, x1 - x0);
                        } else {
                            for (int x = x0; x < x1; x++) {
                                din[dst + x * sw] = s[row + x];
                            }
                        }
                    }
                }
            }
        }
    }

    /** A dot product in four independent float sums (a fixed order, so the same result every run). */
    private static float dot(float[] a, int x, float[] b, int y, int len) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        int q = 0;
        for (; q + 3 < len; q += 4) {
            a0 += a[x + q] * b[y + q];
            a1 += a[x + q + 1] * b[y + q + 1];
            a2 += a[x + q + 2] * b[y + q + 2];
            a3 += a[x + q + 3] * b[y + q + 3];
        }
        for (; q < len; q++) {
            a0 += a[x + q] * b[y + q];
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
