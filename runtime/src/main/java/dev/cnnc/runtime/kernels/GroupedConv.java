package dev.cnnc.runtime.kernels;

/**
 * A grouped or dilated convolution computed directly over activations laid out [C][n][H][W]:
 * filter f reads the C/G channels of its group, with taps D apart. A depthwise conv (one channel a
 * group) does only 9 multiply-adds an output for a 3x3 kernel, so an im2col product of that depth
 * would spend its time moving columns.
 *
 * <p>Each input plane is first split into stride x stride <em>phase planes</em> of the padded
 * input (phase (a, b) holds padded rows a, a + S, ... and columns b, b + S, ...), Wq columns wide
 * (the output width plus the kernel's reach in phase columns) and Hq rows (the output height, the
 * reach, and one more). Then every tap reads one phase plane at a fixed offset, so its
 * contribution to an output plane is one contiguous multiply-add ({@code acc[q] += w * phase[q +
 * offset]}) over OH x Wq values instead of one short loop a row; the columns past OW are never
 * copied out. The phase planes of E examples lie back to back, so one run covers E examples
 * (the rows between them are computed and dropped): a 4x4 plane's runs would otherwise be
 * shorter than a vector. Backward runs the same passes in reverse: the input gradient adds into
 * phase planes of the gradient and copies them back; the weight gradient multiplies the output
 * gradient, widened the same way with zeros in the extra columns and rows, into per-tap runs.
 *
 * <p>Forward and the input gradient work per unit (group, E examples), the weight gradient per
 * group over the whole batch in a fixed order, so callers split those across threads and the
 * result is the same for any thread count. Scratch arrays are per thread, each with one use, so
 * what a use never writes (the padding, the extra columns) stays zero from allocation on.
 */
public final class GroupedConv {
    /** Floats of one channel's phase planes a unit aims at: E examples of them stay in the first-level cache. */
    private static final int UNIT_FLOATS = 4096;
    /**
     * Per-tap partial sums of a group's weight gradient up to this many floats: each tap's products
     * are added element-wise into a run of their own over the batch (vectorised multiply-adds) and
     * summed once at the end; beyond it (many channels a group), a dot product per tap and unit.
     */
    private static final int PARTIALS = 1 << 16;

    private final int h, w, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    private final int cg, fg;
    private final int wq, hq;
    /** One example's phase plane (Hq x Wq), and E of them: a channel-phase block. */
    private final int phaseSize, block;
    /** Examples a unit. */
    private final int examples;
    private final Runs runs;

    private record Scratch(float[] phases, float[] acc, float[] wide, float[] gradPhases, float[] partials) {
    }

    private final ThreadLocal<Scratch> scratch;

    /** With the Vector API's runs when {@code gemm} is the Vector API product (see {@link Runs}). */
    public GroupedConv(Gemm gemm, int channels, int h, int w, int filters, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int groups, int oh, int ow) {
        this.runs = Runs.of(gemm);
        this.h = h;
        this.w = w;
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
        this.examples = Math.max(1, UNIT_FLOATS / (sh * sw * phaseSize));
        this.block = examples * phaseSize;
        int run = run(examples);
        int partials = fg * cg * kh * kw * run;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(new float[cg * sh * sw * block], new float[block], new float[fg * block],
                new float[sh * sw * block], new float[partials <= PARTIALS ? partials : 0]));
    }

    /** The units of a batch of n: groups x ceil(n / E). */
    public int units(int n) {
        return groups * ((n + examples - 1) / examples);
    }

    /** The length of a run over e stacked examples: up to the last one's last output row. */
    private int run(int e) {
        return (e - 1) * phaseSize + oh * wq;
    }

    private int phaseAt(int ch, int a, int b) {
        return ((ch * sh + a) * sw + b) * block;
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
     * The phase planes of input plane {@code plane} into {@code s} at {@code at} (plus the phase's
     * block offset): only the places inside the input are written; the padding stays zero.
     */
    private void phases(float[] in, int plane, float[] s, int at) {
        int base = plane * h * w;
        for (int a = 0; a < sh; a++) {
            int y0 = firstInside(sh, a, ph), y1 = endInside(sh, a, ph, h, hq);
            for (int b = 0; b < sw; b++) {
                int p = at + (a * sw + b) * block;
                int x0 = firstInside(sw, b, pw), x1 = endInside(sw, b, pw, w, wq);
                for (int y = y0; y < y1; y++) {
                    int src = base + (y * sh + a - ph) * w + b - pw;
                    int row = p + y * wq;
                    if (sw == 1) {
                        runs.copy(in, src + x0, s, row + x0, x1 - x0);
                    } else {
                        for (int x = x0; x < x1; x++) {
                            s[row + x] = in[src + x * sw];
                        }
                    }
                }
            }
        }
    }

    /** Output-gradient plane {@code plane} widened to Wq columns into {@code s} at {@code at}; the extra columns and rows stay zero. */
    private void widen(float[] dz, int plane, float[] s, int at) {
        if (wq == ow) {
            System.arraycopy(dz, plane * oh * ow, s, at, oh * ow);
            return;
        }
        for (int y = 0; y < oh; y++) {
            runs.copy(dz, plane * oh * ow + y * ow, s, at + y * wq, ow);
        }
    }

    /**
     * The output planes of unit {@code unit} (group, and E examples from the first; see
     * {@link #units}): the convolution plus the filters' biases ({@code biasOff} < 0: none),
     * written over {@code out}'s planes.
     */
    public void forward(float[] in, int n, int unit, float[] params, int wOff, int biasOff, float[] out) {
        forward(in, n, unit, params, wOff, biasOff, null, null, 0f, 0f, out);
    }

    /**
     * The same with an affine map per filter and a clamp applied as the outputs are written:
     * clamp(conv * scale[f] + shift[f], lo, hi), a batchnorm in inference and its relu or relu6
     * folded in (the bias belongs in the shift).
     */
    public void forward(float[] in, int n, int unit, float[] params, int wOff, float[] scale, float[] shift, float lo, float hi, float[] out) {
        forward(in, n, unit, params, wOff, -1, scale, shift, lo, hi, out);
    }

    private void forward(float[] in, int n, int unit, float[] params, int wOff, int biasOff, float[] scale, float[] shift, float lo, float hi,
                         float[] out) {
        int chunks = (n + examples - 1) / examples;
        int g = unit / chunks, e0 = unit % chunks * examples, e = Math.min(examples, n - e0);
        Scratch sc = scratch.get();
        float[] s = sc.phases();
        float[] acc = sc.acc();
        for (int ch = 0; ch < cg; ch++) {
            for (int x = 0; x < e; x++) {
                phases(in, (g * cg + ch) * n + e0 + x, s, phaseAt(ch, 0, 0) + x * phaseSize);
            }
        }
        int run = run(e);
        for (int fi = g * fg; fi < (g + 1) * fg; fi++) {
            java.util.Arrays.fill(acc, 0, run, biasOff < 0 ? 0f : params[biasOff + fi]);
            for (int ch = 0; ch < cg; ch++) {
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int src = phaseAt(ch, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                        runs.axpy(acc, 0, params[wAt + i * kw + j], s, src, run);
                    }
                }
            }
            if (scale != null) {
                runs.affineClamp(acc, 0, run, scale[fi], shift[fi], lo, hi);
            }
            for (int x = 0; x < e; x++) {
                int o = (fi * n + e0 + x) * oh * ow;
                if (wq == ow) {
                    System.arraycopy(acc, x * phaseSize, out, o, oh * ow);
                } else {
                    for (int y = 0; y < oh; y++) {
                        runs.copy(acc, x * phaseSize + y * wq, out, o + y * ow, ow);
                    }
                }
            }
        }
    }

    /**
     * The weight gradients of group {@code g}'s filters, summed over the batch (in order, each tap's
     * total in double), written over {@code grads}; and their bias gradients when {@code biasOff} >= 0.
     */
    public void weightGradient(float[] in, float[] dz, int n, int g, float[] grads, int wOff, int biasOff) {
        backward(in, dz, n, g, null, grads, wOff, biasOff, null);
    }

    /**
     * Group {@code g}'s whole backward over the batch, E examples at a time: the weight (and bias)
     * gradients as {@link #weightGradient}, and, when {@code din} is not null, the input gradient
     * of those examples as {@link #inputGradient}, from the same widened output gradient (read
     * from memory once for both).
     */
    public void backward(float[] in, float[] dz, int n, int g, float[] params, float[] grads, int wOff, int biasOff, float[] din) {
        Scratch sc = scratch.get();
        float[] s = sc.phases();
        float[] wide = sc.wide();
        int taps = cg * kh * kw;
        int full = run(examples);
        double[] acc = new double[fg * taps];
        double[] bias = new double[fg];
        float[] part = sc.partials();
        boolean partials = part.length > 0;
        if (partials) {
            java.util.Arrays.fill(part, 0f);
        }
        for (int e0 = 0; e0 < n; e0 += examples) {
            int e = Math.min(examples, n - e0);
            int run = run(e);
            for (int ch = 0; ch < cg; ch++) {
                for (int x = 0; x < e; x++) {
                    phases(in, (g * cg + ch) * n + e0 + x, s, phaseAt(ch, 0, 0) + x * phaseSize);
                }
            }
            for (int k = 0; k < fg; k++) {
                int fi = g * fg + k;
                int d = k * block;
                for (int x = 0; x < e; x++) {
                    widen(dz, fi * n + e0 + x, wide, d + x * phaseSize);
                }
                if (biasOff >= 0) {
                    bias[k] += runs.sum(wide, d, run);
                }
                for (int ch = 0; ch < cg; ch++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int src = phaseAt(ch, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                            int t = k * taps + (ch * kh + i) * kw + j;
                            if (partials) {
                                runs.multiplyAdd(part, t * full, wide, d, s, src, run);
                            } else {
                                acc[t] += dot(wide, d, s, src, run);
                            }
                        }
                    }
                }
            }
            if (din != null) {
                inputGradientOf(sc, g, e0, e, n, params, wOff, din);
            }
        }
        if (partials) {
            for (int t = 0; t < fg * taps; t++) {
                acc[t] = runs.sum(part, t * full, full);
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
     * The input-gradient planes of unit {@code unit} (group, E examples), from every filter of the
     * group, written over {@code din}'s planes.
     */
    public void inputGradient(float[] dz, int n, int unit, float[] params, int wOff, float[] din) {
        int chunks = (n + examples - 1) / examples;
        int g = unit / chunks, e0 = unit % chunks * examples, e = Math.min(examples, n - e0);
        Scratch sc = scratch.get();
        for (int k = 0; k < fg; k++) {
            for (int x = 0; x < e; x++) {
                widen(dz, (g * fg + k) * n + e0 + x, sc.wide(), k * block + x * phaseSize);
            }
        }
        inputGradientOf(sc, g, e0, e, n, params, wOff, din);
    }

    /** The input gradient of examples [e0, e0 + e) of group g, from the output gradient already widened into the scratch. */
    private void inputGradientOf(Scratch sc, int g, int e0, int e, int n, float[] params, int wOff, float[] din) {
        float[] s = sc.gradPhases();
        float[] wide = sc.wide();
        int run = run(e);
        // one channel's gradient phases at a time
        for (int ch = 0; ch < cg; ch++) {
            java.util.Arrays.fill(s, 0f);
            for (int k = 0; k < fg; k++) {
                int fi = g * fg + k;
                int wAt = wOff + (fi * cg + ch) * kh * kw;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int dst = phaseAt(0, i * dh % sh, j * dw % sw) + tapOffset(i, j);
                        runs.axpy(s, dst, params[wAt + i * kw + j], wide, k * block, run);
                    }
                }
            }
            // back from the phases: input (iy, ix) is padded (iy + ph, ix + pw), phase (py % S, px % S) at (py / S, px / S);
            // an input past the phases' reach was read by no output, its gradient 0
            for (int x = 0; x < e; x++) {
                int base = ((g * cg + ch) * n + e0 + x) * h * w;
                java.util.Arrays.fill(din, base, base + h * w, 0f);
                for (int a = 0; a < sh; a++) {
                    int y0 = firstInside(sh, a, ph), y1 = endInside(sh, a, ph, h, hq);
                    for (int bb = 0; bb < sw; bb++) {
                        int p = (a * sw + bb) * block + x * phaseSize;
                        int x0 = firstInside(sw, bb, pw), x1 = endInside(sw, bb, pw, w, wq);
                        for (int y = y0; y < y1; y++) {
                            int dst = base + (y * sh + a - ph) * w + bb - pw;
                            int row = p + y * wq;
                            if (sw == 1) {
                                runs.copy(s, row + x0, din, dst + x0, x1 - x0);
                            } else {
                                for (int q = x0; q < x1; q++) {
                                    din[dst + q * sw] = s[row + q];
                                }
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
}
