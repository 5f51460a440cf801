package dev.cnnc.runtime.kernels;

/**
 * A stride-1 convolution of a few input channels (a first layer: 1 or 3 channels, a 3x3 or 5x5
 * kernel) computed directly into {@link WindowOrder}'s window-major order, for the 2x2 pool that
 * follows it: no im2col, and no matrix product of depth C * kh * kw (9 for a grayscale 3x3 conv,
 * which a packed product spends mostly on overhead).
 *
 * <p>Output (2py + dy, 2px + dx) reads padded input column 2px + dx + kx: with the input planes
 * held {@link Deinterleaved} (even columns, then odd ones), the px of one window row are one
 * contiguous run for every tap, so a vector of neighbouring windows is one load per tap. Forward
 * runs four filters by two vectors of windows per pass over the taps (two input loads, eight
 * multiply-adds); the weight
 * gradient lays each tap's inputs out in the windows' order and takes one NT product with the
 * output gradient. The input gradient stays with the caller's product and col2im: a first layer
 * rarely needs it.
 *
 * <p>One instance per convolution, built for its shapes, with per-thread ({@code part}) input
 * buffers for up to {@code groupExamples} examples, as {@link Winograd}. The weights are laid out
 * [F][C][kh][kw] (PyTorch's); z and dz are [F][group columns] with each example's plane in
 * window-major order, as the window pool reads and writes them.
 */
public final class DirectWindowConv {
    /** Filters per pass of the forward kernel. */
    static final int FORWARD_FILTERS = 4;

    /** The largest C * kh * kw this kernel takes: past it, a product's depth is enough to run it well. */
    public static final int MAX_TAPS = 27;

    private final int channels;
    private final int filters;
    private final int h;
    private final int w;
    private final int ph;
    private final int pw;
    private final int oh;
    private final int ow;
    private final int taps;
    private final int groupExamples;
    private final boolean vector;
    /** Window rows' length (ow / 2), windows per quarter, floats per deinterleaved padded plane, its half row. */
    private final int halfW;
    private final int quarter;
    private final int planeSize;
    private final int hr;
    /** Per quarter q and tap t = (c * kh + ky) * kw + kx: where the tap of window (0, 0) reads, from an example's first plane. */
    private final int[] tapAt;
    /** The weights by block of four filters: [block][tap][4], zero past the last filter. */
    private final float[] blocked;
    /** Per thread: the group's input planes, padded and deinterleaved [example][C][plane] (borders stay zero). */
    private final float[] planes;
    /** Per thread: a few vectors' lanes (rows shorter than a vector). */
    private final ThreadLocal<float[]> lanes;
    /** Per thread: the weight gradient's tap rows [C*kh*kw][group columns]. */
    private final float[] tapRows;
    private final Gemm gemm;

    public DirectWindowConv(Gemm gemm, int channels, int filters, int h, int w, int kh, int kw, int ph, int pw, int groupExamples,
                            int threads) {
        this.channels = channels;
        this.filters = filters;
        this.h = h;
        this.w = w;
        this.ph = ph;
        this.pw = pw;
        this.oh = h + 2 * ph - kh + 1;
        this.ow = w + 2 * pw - kw + 1;
        if (oh < 2 || ow < 2 || oh % 2 != 0 || ow % 2 != 0) {
            throw new IllegalArgumentException("window-major order needs an even output plane, not " + oh + "x" + ow);
        }
        if (ph >= kh || pw >= kw) {
            throw new IllegalArgumentException("padding " + ph + "x" + pw + " must be less than the kernel " + kh + "x" + kw);
        }
        this.taps = channels * kh * kw;
        this.groupExamples = groupExamples;
        this.vector = gemm instanceof VectorGemm;
        int vl = vector ? VectorDirectWindowConv.VL : 1;
        this.halfW = ow / 2;
        this.quarter = oh * ow / 4;
        // a vector at px reads up to px + VL - 1 + kw / 2 in a half row (a short row's vector starts at 0)
        this.hr = Math.max(halfW, vl) + kw / 2 + 1;
        this.planeSize = (h + 2 * ph) * 2 * hr;
        this.tapAt = new int[4 * taps];
        for (int q = 0; q < 4; q++) {
            int dy = q >> 1;
            int dx = q & 1;
            for (int c = 0; c < channels; c++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        int col = dx + kx; // the padded column of window 0's output, its half and place in the half
                        tapAt[q * taps + (c * kh + ky) * kw + kx] = c * planeSize + (dy + ky) * 2 * hr + (col & 1) * hr + (col >> 1);
                    }
                }
            }
        }
        this.blocked = new float[blocks(filters, FORWARD_FILTERS) * FORWARD_FILTERS * taps];
        this.planes = new float[threads * groupExamples * channels * planeSize];
        this.lanes = ThreadLocal.withInitial(() -> new float[4 * Math.max(vl, 16)]);
        this.tapRows = new float[threads * taps * groupExamples * oh * ow];
        this.gemm = gemm;
    }

    /** Whether a conv of these sizes suits this kernel (and its output the window pool). */
    public static boolean suits(int channels, int kh, int kw, int sh, int sw) {
        return sh == 1 && sw == 1 && channels * kh * kw <= MAX_TAPS;
    }

    private static int blocks(int count, int size) {
        return (count + size - 1) / size;
    }

    /** Lays out the weights [F][C][kh][kw] at {@code wOff} for {@link #forward}: once per forward pass, before the groups. */
    public void prepareForward(float[] params, int wOff) {
        for (int f = 0; f < filters; f++) {
            int block = f / FORWARD_FILTERS;
            int j = f % FORWARD_FILTERS;
            for (int t = 0; t < taps; t++) {
                blocked[(block * taps + t) * FORWARD_FILTERS + j] = params[wOff + f * taps + t];
            }
        }
    }

    /** The group's input planes [C][n][h][w] of examples [e0, e1) into thread {@code part}'s buffer; returns where they start. */
    private int load(Parallel p, float[] in, int n, int e0, int e1, int part) {
        int examples = e1 - e0;
        if (examples > groupExamples) {
            throw new IllegalArgumentException("a group of " + examples + " examples, built for " + groupExamples);
        }
        int at = part * groupExamples * channels * planeSize;
        p.forRange(examples * channels, Parallel.grain(h * w), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int e = i / channels;
                int c = i % channels;
                int src = (c * n + e0 + e) * h * w;
                if (vector) {
                    VectorDeinterleaved.copy(in, src, h, w, ph, pw, planes, at + i * planeSize, hr);
                } else {
                    Deinterleaved.copy(in, src, h, w, ph, pw, planes, at + i * planeSize, hr);
                }
            }
        });
        return at;
    }

    /**
     * The convolution (no bias) of examples [e0, e1) of a batch of n into z: filter f of example e
     * at {@code zAt + f * zLd + (e - e0) * OH * OW}, window-major. {@link #prepareForward} must have run.
     */
    public void forward(Parallel p, float[] in, int n, int e0, int e1, float[] z, int zAt, int zLd, int part) {
        int xAt = load(p, in, n, e0, e1, part);
        int examples = e1 - e0;
        int plane = oh * ow;
        p.forRange(blocks(filters, FORWARD_FILTERS), Parallel.grain((long) examples * plane * taps * FORWARD_FILTERS), (b0, b1) -> {
            float[] tmp = lanes.get();
            for (int e = 0; e < examples; e++) {
                for (int q = 0; q < 4; q++) {
                    if (vector) {
                        VectorDirectWindowConv.forwardRows(planes, xAt + e * channels * planeSize, 2 * 2 * hr, oh / 2, tapAt, q * taps, taps,
                                blocked, b0, b1, filters, z, zAt + e * plane + q * quarter, zLd, halfW, tmp);
                        continue;
                    }
                    for (int py = 0; py < oh / 2; py++) {
                        forwardRow(xAt + e * channels * planeSize + 2 * py * 2 * hr, q * taps, b0, b1, z,
                                zAt + e * plane + q * quarter + py * halfW, zLd);
                    }
                }
            }
        });
    }

    private void forwardRow(int x, int tq, int b0, int b1, float[] z, int zRow, int zLd) {
        for (int b = b0; b < b1; b++) {
            for (int j = 0; j < FORWARD_FILTERS && b * FORWARD_FILTERS + j < filters; j++) {
                int wb = b * taps * FORWARD_FILTERS + j;
                int out = zRow + (b * FORWARD_FILTERS + j) * zLd;
                for (int px = 0; px < halfW; px++) {
                    float s = 0f;
                    for (int t = 0; t < taps; t++) {
                        s += planes[x + px + tapAt[tq + t]] * blocked[wb + t * FORWARD_FILTERS];
                    }
                    z[out + px] = s;
                }
            }
        }
    }

    /**
     * Adds the weight gradient of examples [e0, e1) into {@code grad} at {@code gAt} ([F][C][kh][kw]),
     * given dz, the gradient of {@link #forward}'s output in the same layout.
     *
     * <p>Each tap's inputs are first laid out as a row in dz's window-major column order
     * (taps[t][columns], copied a window row at a time from the deinterleaved planes), so the
     * gradient is one NT product dz[F][columns] x taps[C*kh*kw][columns]^T of depth columns: long
     * contiguous dot products, twelve at a time. It replaced a pass over the planes that summed
     * three filters by three taps per vector with lane masks for short rows: on the Fashion net's
     * conv1 that pass was ~5 % of a training step by JFR, several times its multiply-adds' worth.
     */
    public void weightGradient(Parallel p, float[] in, int n, int e0, int e1, float[] dz, int dzAt, int dzLd, float[] grad, int gAt,
                               int part) {
        int xAt = load(p, in, n, e0, e1, part);
        int examples = e1 - e0;
        int plane = oh * ow;
        int cols = examples * plane;
        int rows = part * taps * groupExamples * plane;
        p.forRange(taps, Parallel.grain((long) examples * plane), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                tapRow(xAt, examples, t, tapRows, rows + t * cols);
            }
        });
        gemm.multiplyTransposed(p, filters, taps, cols, dz, dzAt, dzLd, tapRows, rows, cols, grad, gAt, taps, true);
    }

    /** Tap t's input under every window of the group, in window-major order, to dst[at, at + examples * OH * OW). */
    private void tapRow(int xAt, int examples, int t, float[] dst, int at) {
        for (int e = 0; e < examples; e++) {
            for (int q = 0; q < 4; q++) {
                int src = xAt + e * channels * planeSize + tapAt[q * taps + t];
                for (int py = 0; py < oh / 2; py++, at += halfW) {
                    System.arraycopy(planes, src + 2 * py * 2 * hr, dst, at, halfW);
                }
            }
        }
    }
}
