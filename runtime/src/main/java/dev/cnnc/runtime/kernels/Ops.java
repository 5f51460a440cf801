package dev.cnnc.runtime.kernels;

/**
 * Layer kernels that generated code calls with its constant shapes. Spatial activations are
 * laid out channel-major over the batch, [C][n][H][W], so one convolution over the whole batch
 * is a single matrix product; flat activations are [n][F].
 */
public final class Ops {
    private Ops() {
    }

    /** [n][C][HW] (PyTorch's order, as examples arrive) to [C][n][HW]. */
    public static void toChannelMajor(float[] src, float[] dst, int n, int channels, int plane) {
        toChannelMajor(src, 0, dst, n, channels, plane);
    }

    /** The same, reading examples from {@code src} starting at {@code srcOff}. */
    public static void toChannelMajor(float[] src, int srcOff, float[] dst, int n, int channels, int plane) {
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < channels; c++) {
                System.arraycopy(src, srcOff + (b * channels + c) * plane, dst, (c * n + b) * plane, plane);
            }
        }
    }

    /** [C][n][HW] to [n][C][HW]: flatten in PyTorch's C,H,W order, and the input gradient. */
    public static void toExampleMajor(float[] src, float[] dst, int n, int channels, int plane) {
        toExampleMajor(src, dst, 0, n, channels, plane);
    }

    /** The same, writing examples into {@code dst} starting at {@code dstOff}. */
    public static void toExampleMajor(float[] src, float[] dst, int dstOff, int n, int channels, int plane) {
        for (int c = 0; c < channels; c++) {
            for (int b = 0; b < n; b++) {
                System.arraycopy(src, (c * n + b) * plane, dst, dstOff + (b * channels + c) * plane, plane);
            }
        }
    }

    /**
     * col[(c*kh+i)*kw+j][b*Ho*Wo + oh*Wo + ow] = in[c][b][oh*sh+i-ph][ow*sw+j-pw] (0 outside):
     * the row order matches PyTorch's weight layout [F][C][kh][kw].
     */
    public static void im2col(Parallel par, float[] in, float[] col, int n, int channels, int h, int w, int kh, int kw,
                              int sh, int sw, int ph, int pw, int oh, int ow) {
        im2col(par, in, n, 0, n, col, 0, channels, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
    }

    /**
     * im2col of examples [from, to) of a batch of n: col, starting at {@code colOff}, holds
     * (to - from) * Ho * Wo columns, so a group of examples can be lowered into a buffer that stays
     * in cache while its product runs.
     */
    public static void im2col(Parallel par, float[] in, int n, int from, int to, float[] col, int colOff, int channels, int h, int w,
                              int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
        int rows = channels * kh * kw;
        int cols = (to - from) * oh * ow;
        boolean flat = sh == 1 && sw == 1 && ow == w;
        par.forRange(rows, Parallel.grain(cols), (rowFrom, rowTo) -> {
            for (int r = rowFrom; r < rowTo; r++) {
                int c = r / (kh * kw);
                int i = (r / kw) % kh;
                int j = r % kw;
                int dst = colOff + r * cols - from * oh * ow;
                if (flat) {
                    Shift shift = Shift.of(h, w, oh, i - ph, j - pw);
                    for (int b = from; b < to; b++) {
                        shiftedPlane(in, (c * n + b) * h * w + (i - ph) * w + j - pw, col, dst + b * oh * ow, shift, w, oh);
                    }
                    continue;
                }
                for (int b = from; b < to; b++) {
                    int plane = (c * n + b) * h * w;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * sh + i - ph;
                        int d = dst + (b * oh + y) * ow;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, d, d + ow, 0f);
                            continue;
                        }
                        int rowBase = plane + iy * w;
                        if (sw == 1) {
                            int x0 = j - pw;
                            int lo = Math.max(0, -x0);
                            int hi = Math.min(ow, w - x0);
                            if (lo > 0) {
                                java.util.Arrays.fill(col, d, d + Math.min(lo, ow), 0f);
                            }
                            if (hi > lo) {
                                System.arraycopy(in, rowBase + x0 + lo, col, d + lo, hi - lo);
                            }
                            if (hi < ow) {
                                java.util.Arrays.fill(col, d + Math.max(hi, 0), d + ow, 0f);
                            }
                        } else {
                            for (int x = 0; x < ow; x++) {
                                int ix = x * sw + j - pw;
                                col[d + x] = ix >= 0 && ix < w ? in[rowBase + ix] : 0f;
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * One im2col row of one example when stride is 1 and the output rows are as wide as the input's
     * (a "same" convolution): the output plane is the input plane shifted by dy rows and dx columns,
     * so it is one copy, then zeros where the window falls outside (a few elements per row) rather
     * than a copy per output row. {@code shifted} is the input plane's start plus dy * w + dx.
     */
    private static void shiftedPlane(float[] in, int shifted, float[] col, int d, Shift sh, int w, int oh) {
        if (sh.empty()) {
            java.util.Arrays.fill(col, d, d + oh * w, 0f);
            return;
        }
        java.util.Arrays.fill(col, d, d + sh.ylo * w, 0f);
        java.util.Arrays.fill(col, d + sh.yhi * w, d + oh * w, 0f);
        if (sh.to > sh.from) {
            System.arraycopy(in, shifted + sh.from, col, d + sh.from, sh.to - sh.from);
        }
        sh.clearOutside(col, d, w);
    }

    /**
     * Where a plane shifted by (dy, dx) lies inside the input: rows [ylo, yhi) and columns [lo, hi)
     * of the output, and the contiguous run [from, to) that starts and ends on such entries.
     */
    private record Shift(int ylo, int yhi, int lo, int hi, int from, int to) {
        static Shift of(int h, int w, int oh, int dy, int dx) {
            int ylo = Math.max(0, -dy), yhi = Math.min(oh, h - dy), lo = Math.max(0, -dx), hi = Math.min(w, w - dx);
            return new Shift(ylo, yhi, lo, hi, ylo * w + lo, (yhi - 1) * w + hi);
        }

        boolean empty() {
            return yhi <= ylo || hi <= lo;
        }

        /** Zeroes, in the rows inside, the columns outside: the entries whose window reads padding. */
        void clearOutside(float[] a, int start, int w) {
            // a column or two per row: plain stores, where Arrays.fill's call would cost more than the work
            for (int y = ylo; y < yhi; y++) {
                int rowStart = start + y * w;
                for (int x = 0; x < lo; x++) {
                    a[rowStart + x] = 0f;
                }
                for (int x = hi; x < w; x++) {
                    a[rowStart + x] = 0f;
                }
            }
        }
    }

    /** The adjoint of im2col: dIn[c][b][..] = sum of the dCol entries that read it (dIn overwritten). */
    public static void col2im(Parallel par, float[] dcol, float[] din, int n, int channels, int h, int w, int kh, int kw,
                              int sh, int sw, int ph, int pw, int oh, int ow) {
        col2im(par, dcol, 0, din, n, 0, n, channels, h, w, kh, kw, sh, sw, ph, pw, oh, ow);
    }

    /**
     * The adjoint of {@link #im2col(Parallel, float[], int, int, int, float[], int, int, int, int, int, int, int, int, int, int, int, int)}
     * for examples [from, to): their planes of dIn are overwritten, the other examples' left alone.
     */
    public static void col2im(Parallel par, float[] dcol, int colOff, float[] din, int n, int from, int to, int channels, int h, int w,
                              int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
        int cols = (to - from) * oh * ow;
        boolean flat = sh == 1 && sw == 1 && ow == w;
        par.forRange(channels, Parallel.grain((long) cols * kh * kw), (cFrom, cTo) -> {
            for (int c = cFrom; c < cTo; c++) {
                java.util.Arrays.fill(din, (c * n + from) * h * w, (c * n + to) * h * w, 0f);
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int src = colOff + ((c * kh + i) * kw + j) * cols - from * oh * ow;
                        if (flat) {
                            Shift shift = Shift.of(h, w, oh, i - ph, j - pw);
                            for (int b = from; b < to; b++) {
                                addShiftedPlane(dcol, src + b * oh * ow, din, (c * n + b) * h * w + (i - ph) * w + j - pw, shift, w);
                            }
                            continue;
                        }
                        for (int b = from; b < to; b++) {
                            int plane = (c * n + b) * h * w;
                            for (int y = 0; y < oh; y++) {
                                int iy = y * sh + i - ph;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                int s = src + (b * oh + y) * ow;
                                int rowBase = plane + iy * w;
                                if (sw == 1) {
                                    // ix = x + j - pw must lie in [0, w): a contiguous run of x
                                    int shift = j - pw;
                                    int lo = Math.max(0, -shift);
                                    int hi = Math.min(ow, w - shift);
                                    int dst = rowBase + shift;
                                    for (int x = lo; x < hi; x++) {
                                        din[dst + x] += dcol[s + x];
                                    }
                                    continue;
                                }
                                for (int x = 0; x < ow; x++) {
                                    int ix = x * sw + j - pw;
                                    if (ix >= 0 && ix < w) {
                                        din[rowBase + ix] += dcol[s + x];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * The adjoint of {@link #shiftedPlane}: one contiguous sum over the shifted plane. The entries that
     * read padding would land on a neighbouring row's edge, so they are zeroed in dcol (a scratch
     * buffer) first; the range starts and ends on valid entries, so nothing outside the plane is touched.
     * {@code shifted} is the input plane's start plus dy * w + dx.
     */
    private static void addShiftedPlane(float[] dcol, int s, float[] din, int shifted, Shift sh, int w) {
        if (sh.empty()) {
            return;
        }
        sh.clearOutside(dcol, s, w);
        for (int t = sh.from; t < sh.to; t++) {
            din[shifted + t] += dcol[s + t];
        }
    }

    /** Column sums of src[rows][cols] into dst (the bias gradient of a dense layer). */
    public static void sumColumns(float[] src, int rows, int cols, float[] dst, int dstOff) {
        java.util.Arrays.fill(dst, dstOff, dstOff + cols, 0f);
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int i = 0; i < cols; i++) {
                dst[dstOff + i] += src[base + i];
            }
        }
    }

    /**
     * dst[i] = the sum over parts p of parts[p * size + i], parts added in order: a convolution's
     * weight gradient from the threads' partial products.
     */
    public static void sumParts(float[] parts, int count, int size, float[] dst, int dstOff) {
        System.arraycopy(parts, 0, dst, dstOff, size);
        for (int p = 1; p < count; p++) {
            int base = p * size;
            for (int i = 0; i < size; i++) {
                dst[dstOff + i] += parts[base + i];
            }
        }
    }

    /**
     * Window pooling over [planes][h][w] (planes = C*n), padded ph above, pw left, pb below and pr
     * right. Max and min record the winning input index per output (the first one on ties, as
     * PyTorch); average counts the padding, but not the part of a (ceil-mode) window past it.
     */
    public static void pool(Parallel par, int op, float[] in, float[] out, int[] argIndex, int planes, int h, int w,
                            int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr, int oh, int ow) {
        pool(par, op, in, out, argIndex, planes, h, w, kh, kw, sh, sw, ph, pw, pb, pr, oh, ow, true);
    }

    /**
     * The same, recording the argmax only when {@code training} (the backward needs it; finding it
     * costs three quarters of a 3x3 max pool's time).
     */
    public static void pool(Parallel par, int op, float[] in, float[] out, int[] argIndex, int planes, int h, int w,
                            int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr, int oh, int ow, boolean training) {
        if (op == 1 && kh == h && kw == w && oh == 1 && ow == 1 && ph == 0 && pw == 0) {
            // a global average (ResNet's head): one plain sum a plane, in the order the two passes add
            int area = h * w;
            par.forRange(planes, Parallel.grain(area), (from, to) -> {
                for (int p = from; p < to; p++) {
                    float sum = 0f;
                    for (int y = 0; y < h; y++) {
                        float row = 0f;
                        for (int x = 0; x < w; x++) {
                            row += in[p * area + y * w + x];
                        }
                        sum += row;
                    }
                    out[p] = sum / area;
                }
            });
            return;
        }
        par.forRange(planes, Parallel.grain((long) oh * ow * (kh + kw) + (long) h * ow * kw), (from, to) -> {
            float[] rowBest = new float[h * ow];
            int[] rowArg = training && op != 1 ? new int[h * ow] : null;
            for (int p = from; p < to; p++) {
                if (rowArg != null && !SeparablePool.hasNaN(in, p * h * w, h * w)) {
                    SeparablePool.planeWithArg(op == 0, in, p * h * w, out, argIndex, p * oh * ow, h, w, kh, kw, sh, sw, ph, pw, oh, ow, rowBest,
                            rowArg);
                } else {
                    SeparablePool.plane(op, in, p * h * w, out, argIndex, p * oh * ow, h, w, kh, kw, sh, sw, ph, pw, pb, pr, oh, ow, rowBest,
                            rowArg != null);
                }
            }
        });
    }

    /**
     * What an average pool divides window (y, x) by: its area inside the padded input (ends at
     * {@code hEnd}, {@code wEnd}), which is kh*kw but for a ceil-mode window that hangs past it.
     */
    static int windowArea(int y, int x, int kh, int kw, int sh, int sw, int ph, int pw, int hEnd, int wEnd) {
        int y0 = y * sh - ph, x0 = x * sw - pw;
        return (Math.min(y0 + kh, hEnd) - y0) * (Math.min(x0 + kw, wEnd) - x0);
    }

    /** Backward of {@link #pool}: dIn overwritten. */
    public static void poolBackward(Parallel par, int op, float[] dout, float[] din, int[] argIndex, int planes, int h, int w,
                                    int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr, int oh, int ow) {
        par.forRange(planes, Parallel.grain((long) oh * ow * kh * kw), (from, to) -> {
            java.util.Arrays.fill(din, from * h * w, to * h * w, 0f);
            for (int p = from; p < to; p++) {
                int ib = p * h * w;
                int ob = p * oh * ow;
                for (int o = ob; o < ob + oh * ow; o++) {
                    if (op != 1) {
                        din[argIndex[o]] += dout[o];
                        continue;
                    }
                    int y = (o - ob) / ow;
                    int x = (o - ob) % ow;
                    float g = dout[o] / windowArea(y, x, kh, kw, sh, sw, ph, pw, h + pb, w + pr);
                    for (int i = 0; i < kh; i++) {
                        int iy = y * sh + i - ph;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        for (int j = 0; j < kw; j++) {
                            int ix = x * sw + j - pw;
                            if (ix >= 0 && ix < w) {
                                din[ib + iy * w + ix] += g;
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Batch normalization, training: per channel c over its run of {@code count} values at
     * stride layout [C][count] (spatial) or strided [count][C] (flat, {@code flat} true).
     * Saves mean and 1/sqrt(var+eps) for backward; updates running statistics as PyTorch
     * (momentum, unbiased variance).
     */
    public static void batchNormTrain(float[] x, float[] y, int channels, int count, boolean flat, float[] params, int gammaOff,
                                      int betaOff, float[] state, int meanOff, int varOff, float momentum, float eps,
                                      double[] savedMean, double[] savedInvStd) {
        batchNormTrain(null, x, y, channels, count, flat, params, gammaOff, betaOff, state, meanOff, varOff, momentum, eps, savedMean,
                savedInvStd);
    }

    /**
     * The same with the channels split across {@code par}'s threads (null: this thread). Each
     * channel is computed whole by one thread in a fixed order, so the result is bit for bit the
     * same for any thread count. Images ([C][count]) take contiguous runs; features are strided.
     */
    public static void batchNormTrain(Parallel par, float[] x, float[] y, int channels, int count, boolean flat, float[] params,
                                      int gammaOff, int betaOff, float[] state, int meanOff, int varOff, float momentum, float eps,
                                      double[] savedMean, double[] savedInvStd) {
        batchNormTrain(par, null, x, y, channels, count, flat, params, gammaOff, betaOff, state, meanOff, varOff, momentum, eps, savedMean,
                savedInvStd, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    }

    /**
     * The same with an image's per-channel sums on {@code gemm}'s {@link Runs} (the Vector API's
     * with a Vector API product; null: plain Java), and the output clamped to [lo, hi] in the same
     * pass: a relu (0, +inf) or relu6 (0, 6) that follows the batchnorm, fused, so the activation
     * costs no pass of its own over a tensor that no longer fits in cache (Math.max and min keep a
     * NaN; infinite bounds: no clamp).
     */
    public static void batchNormTrain(Parallel par, Gemm gemm, float[] x, float[] y, int channels, int count, boolean flat, float[] params,
                                      int gammaOff, int betaOff, float[] state, int meanOff, int varOff, float momentum, float eps,
                                      double[] savedMean, double[] savedInvStd, float lo, float hi) {
        Runs runs = gemm == null ? ScalarRuns.INSTANCE : Runs.of(gemm);
        Parallel.Range body = (from, to) -> {
            for (int c = from; c < to; c++) {
                int base = flat ? c : c * count;
                int step = flat ? channels : 1;
                double[] moments = moments(runs, x, base, step, count);
                double mean = moments[0];
                double sq = moments[1];
                double var = sq / count;
                // kept in double: with a small batch variance, x - mean would lose digits in float
                double invStd = 1.0 / Math.sqrt(var + eps);
                savedMean[c] = mean;
                savedInvStd[c] = invStd;
                normalise(x, y, base, step, count, mean, invStd, params[gammaOff + c], params[betaOff + c], lo, hi);
                double unbiased = count > 1 ? sq / (count - 1) : var;
                state[meanOff + c] = (float) ((1 - momentum) * state[meanOff + c] + momentum * mean);
                state[varOff + c] = (float) ((1 - momentum) * state[varOff + c] + momentum * unbiased);
            }
        };
        run(par, channels, count, body);
    }

    /**
     * A channel's output in training: y = (x - m) * a + b in float with m the float nearest the
     * mean (x - m is exact for x near the mean: no cancellation when the values sit far from 0),
     * b carrying mean - m, clamped to [lo, hi]. One method for forward and the recomputation in
     * backward ({@link #batchNormRecompute}), so the two agree bit for bit.
     */
    private static void normalise(float[] x, float[] y, int base, int step, int count, double mean, double invStd, float gamma, float beta,
                                  float lo, float hi) {
        float[] affine = affine(mean, invStd, gamma, beta);
        float m = affine[0];
        float a = affine[1];
        float b = affine[2];
        // a constant stride for images: the JIT vectorises only loops whose index steps by a constant
        if (step == 1) {
            for (int k = base; k < base + count; k++) {
                y[k] = Math.min(Math.max((x[k] - m) * a + b, lo), hi);
            }
        } else {
            for (int i = 0, k = base; i < count; i++, k += step) {
                y[k] = Math.min(Math.max((x[k] - m) * a + b, lo), hi);
            }
        }
    }

    /** {m, a, b} of {@link #normalise}'s y = (x - m) * a + b. */
    private static float[] affine(double mean, double invStd, float gamma, float beta) {
        float m = (float) mean;
        return new float[] {m, (float) (invStd * gamma), (float) (beta - (mean - m) * invStd * gamma)};
    }

    /**
     * The output of {@link #batchNormTrain} made again from its input and the statistics it saved,
     * bit for bit: in backward, for a reader that needs it (a conv's weight gradient) when keeping
     * it from forward would cost a whole tensor of memory for the step.
     */
    public static void batchNormRecompute(Parallel par, float[] x, float[] y, int channels, int count, boolean flat, float[] params,
                                          int gammaOff, int betaOff, double[] savedMean, double[] savedInvStd, float lo, float hi) {
        run(par, channels, count, (from, to) -> {
            for (int c = from; c < to; c++) {
                normalise(x, y, flat ? c : c * count, flat ? channels : 1, count, savedMean[c], savedInvStd[c], params[gammaOff + c],
                        params[betaOff + c], lo, hi);
            }
        });
    }

    /*
     * A channel's sums for batchnorm, in double, in four interleaved partial sums added at the end:
     * one running double sum is a chain of dependent adds (4 cycles each), which made batchnorm's
     * passes four times slower than memory; four chains keep the adder busy. The order is fixed, so
     * the result does not depend on threads.
     */
    /**
     * The mean and the sum of squared deviations in one pass: sums of x - K and (x - K)^2 with K
     * the channel's first value, close enough to the mean that the difference of the two (the
     * variance) loses nothing in double; a second pass over a tensor that no longer fits in cache
     * cost as much as the first.
     */
    static double[] moments(Runs runs, float[] x, int base, int step, int count) {
        double[] sums = new double[2];
        float shift = x[base];
        if (step == 1) {
            runs.moments(x, base, count, shift, sums);
        } else {
            ScalarRuns.moments(x, base, step, count, shift, sums);
        }
        return new double[] {shift + sums[0] / count, Math.max(0, sums[1] - sums[0] * sums[0] / count)};
    }

    /**
     * Batchnorm backward's sums of dy and dy * x in one pass (dy * x from dy * (x - m), m the float
     * nearest the mean, so float lanes do not cancel); behind a clamp to [lo, hi] (bounds not both
     * infinite) dy is zeroed in place first where the clamp was flat: where the forward's output
     * y = (x - ym) * a + b, recomputed from x, was at or outside the bounds.
     */
    static double[] gradientSums(Runs runs, float[] dy, float[] x, float ym, float a, float b, float lo, float hi, int base, int step, int count,
                                 double mean) {
        double[] sums = new double[2];
        float m = (float) mean;
        if (step == 1) {
            runs.gradientSums(dy, x, ym, a, b, lo, hi, base, count, m, sums);
        } else {
            ScalarRuns.gradientSums(dy, x, ym, a, b, lo, hi, base, step, count, m, sums);
        }
        return new double[] {sums[0], sums[1] + m * sums[0]};
    }

    /** Splits channels across threads when there is enough work (a channel of {@code count} values a part at least). */
    private static void run(Parallel par, int channels, int count, Parallel.Range body) {
        if (par == null || (long) channels * count < 2L * Parallel.MIN_WORK) {
            body.run(0, channels);
        } else {
            par.forRange(channels, Parallel.grain(3L * count), body);
        }
    }

    public static void batchNormInfer(float[] x, float[] y, int channels, int count, boolean flat, float[] params, int gammaOff,
                                      int betaOff, float[] state, int meanOff, int varOff, float eps) {
        batchNormInfer(null, x, y, channels, count, flat, params, gammaOff, betaOff, state, meanOff, varOff, eps);
    }

    public static void batchNormInfer(Parallel par, float[] x, float[] y, int channels, int count, boolean flat, float[] params,
                                      int gammaOff, int betaOff, float[] state, int meanOff, int varOff, float eps) {
        batchNormInfer(par, x, y, channels, count, flat, params, gammaOff, betaOff, state, meanOff, varOff, eps, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY);
    }

    /** Inference with the output clamped to [lo, hi], as {@link #batchNormTrain} with a clamp. */
    public static void batchNormInfer(Parallel par, float[] x, float[] y, int channels, int count, boolean flat, float[] params,
                                      int gammaOff, int betaOff, float[] state, int meanOff, int varOff, float eps, float lo, float hi) {
        run(par, channels, count, (from, to) -> {
            for (int c = from; c < to; c++) {
                float[] affine = runningAffine(params[gammaOff + c], params[betaOff + c], state[meanOff + c], state[varOff + c], eps);
                float scale = affine[0];
                float shift = affine[1];
                int base = flat ? c : c * count;
                int step = flat ? channels : 1;
                if (step == 1) {
                    for (int k = base; k < base + count; k++) {
                        y[k] = Math.min(Math.max(x[k] * scale + shift, lo), hi);
                    }
                } else {
                    for (int i = 0, k = base; i < count; i++, k += step) {
                        y[k] = Math.min(Math.max(x[k] * scale + shift, lo), hi);
                    }
                }
            }
        });
    }

    /** {scale, shift} of {@link #batchNormInfer}'s y = x * scale + shift, from the running statistics. */
    private static float[] runningAffine(float gamma, float beta, float mean, float var, float eps) {
        float scale = (float) (gamma / Math.sqrt(var + eps));
        return new float[] {scale, beta - mean * scale};
    }

    /** dx, dgamma, dbeta of batch normalization in training (dx overwritten). */
    public static void batchNormBackward(float[] x, float[] dy, float[] dx, int channels, int count, boolean flat, float[] params,
                                         int gammaOff, float[] grads, int betaOff, double[] savedMean, double[] savedInvStd) {
        batchNormBackward(null, x, dy, dx, channels, count, flat, params, gammaOff, grads, betaOff, savedMean, savedInvStd);
    }

    public static void batchNormBackward(Parallel par, float[] x, float[] dy, float[] dx, int channels, int count, boolean flat,
                                         float[] params, int gammaOff, float[] grads, int betaOff, double[] savedMean,
                                         double[] savedInvStd) {
        batchNormBackward(par, null, x, dy, dx, channels, count, flat, params, gammaOff, grads, betaOff, savedMean, savedInvStd,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    }

    /**
     * The same with an image's per-channel sums on {@code gemm}'s {@link Runs} (null: plain Java),
     * behind a clamp to [lo, hi] fused into forward (infinite bounds: none): dy is first zeroed in
     * place where the clamp was flat (the output at or outside the bounds), the derivative torch's
     * relu and hardtanh take, then the batchnorm's backward reads it. The output is recomputed from
     * x as {@link #batchNormTrain} made it, bit for bit, so it need not be kept for backward (for a
     * conv, batchnorm and relu before a max pool, nothing else reads it: ResNet-18's 51 MB at batch
     * 16). dx may be dy: each value of dx is written after the sums, from dy's value at its place.
     */
    public static void batchNormBackward(Parallel par, Gemm gemm, float[] x, float[] dy, float[] dx, int channels, int count, boolean flat,
                                         float[] params, int gammaOff, float[] grads, int betaOff, double[] savedMean,
                                         double[] savedInvStd, float lo, float hi) {
        Runs runs = gemm == null ? ScalarRuns.INSTANCE : Runs.of(gemm);
        run(par, channels, count, (from, to) -> {
            for (int c = from; c < to; c++) {
                int base = flat ? c : c * count;
                int step = flat ? channels : 1;
                double mean = savedMean[c];
                double inv = savedInvStd[c];
                // the forward's y = (x - m) * a + b, its coefficients made as batchNormTrain made them
                float[] y = affine(mean, inv, params[gammaOff + c], params[betaOff + c]);
                double[] sums = gradientSums(runs, dy, x, y[0], y[1], y[2], lo, hi, base, step, count, mean);
                double sumDy = sums[0];
                double sumDyX = sums[1];
                // sum dy * xhat = (sum dy * x - mean * sum dy) * inv: one pass instead of two
                double sumDyXhat = (sumDyX - mean * sumDy) * inv;
                grads[gammaOff + c] = (float) sumDyXhat;
                grads[betaOff + c] = (float) sumDy;
                double g = params[gammaOff + c];
                double meanDy = sumDy / count;
                double meanDyXhat = sumDyXhat / count;
                // dx = g * inv * (dy - meanDy - xhat * meanDyXhat) = dy * p + (x - m) * q + r, m the float
                // nearest the mean (as forward), r carrying mean - m
                float m = (float) mean;
                double qd = -g * inv * inv * meanDyXhat;
                float p = (float) (g * inv);
                float q = (float) qd;
                float r = (float) (qd * (m - mean) - g * inv * meanDy);
                if (step == 1) {
                    for (int k = base; k < base + count; k++) {
                        dx[k] = dy[k] * p + (x[k] - m) * q + r;
                    }
                } else {
                    for (int i = 0, k = base; i < count; i++, k += step) {
                        dx[k] = dy[k] * p + (x[k] - m) * q + r;
                    }
                }
            }
        });
    }

    /**
     * Backward of a batchnorm that ran in inference mode while training (a frozen batchnorm kept in
     * eval, as {@code module.eval()} on it in PyTorch): the running statistics are constants, so
     * dx = dy * gamma / sqrt(var + eps); dgamma and dbeta as usual with xhat from the running
     * statistics. A fused clamp to [lo, hi] (infinite bounds: none) zeroes dy first where it was
     * flat, the output recomputed from x as {@link #batchNormInfer} made it.
     */
    public static void batchNormEvalBackward(Parallel par, Gemm gemm, float[] x, float[] dy, float[] dx, int channels, int count, boolean flat,
                                             float[] params, int gammaOff, float[] grads, int betaOff, float[] state, int meanOff, int varOff,
                                             float eps, float lo, float hi) {
        Runs runs = gemm == null ? ScalarRuns.INSTANCE : Runs.of(gemm);
        run(par, channels, count, (from, to) -> {
            for (int c = from; c < to; c++) {
                int base = flat ? c : c * count;
                int step = flat ? channels : 1;
                double mean = state[meanOff + c];
                double inv = 1 / Math.sqrt(state[varOff + c] + (double) eps);
                // the forward's y = (x - 0) * scale + shift (x - 0 is x, bit for bit), made as batchNormInfer made it
                float[] y = runningAffine(params[gammaOff + c], params[betaOff + c], state[meanOff + c], state[varOff + c], eps);
                double[] sums = gradientSums(runs, dy, x, 0f, y[0], y[1], lo, hi, base, step, count, mean);
                grads[gammaOff + c] = (float) ((sums[1] - mean * sums[0]) * inv);
                grads[betaOff + c] = (float) sums[0];
                float p = (float) (params[gammaOff + c] * inv);
                if (step == 1) {
                    for (int k = base; k < base + count; k++) {
                        dx[k] = dy[k] * p;
                    }
                } else {
                    for (int i = 0, k = base; i < count; i++, k += step) {
                        dx[k] = dy[k] * p;
                    }
                }
            }
        });
    }

    /** Softmax over each row of [n][k], in place-safe (src may equal dst). */
    public static void softmax(float[] src, float[] dst, int n, int k) {
        for (int b = 0; b < n; b++) {
            int base = b * k;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < k; i++) {
                max = Math.max(max, src[base + i]);
            }
            double sum = 0;
            for (int i = 0; i < k; i++) {
                float e = (float) Math.exp(src[base + i] - max);
                dst[base + i] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < k; i++) {
                dst[base + i] *= inv;
            }
        }
    }

    /** Backward of softmax: dx = y * (dy - sum(dy * y)) per row. */
    public static void softmaxBackward(float[] y, float[] dy, float[] dx, int n, int k) {
        for (int b = 0; b < n; b++) {
            int base = b * k;
            double dot = 0;
            for (int i = 0; i < k; i++) {
                dot += dy[base + i] * y[base + i];
            }
            for (int i = 0; i < k; i++) {
                dx[base + i] = (float) (y[base + i] * (dy[base + i] - dot));
            }
        }
    }

    /** Fills a dropout mask: 0 with probability p, else 1/(1-p). Sequential, so thread count never changes it. */
    /**
     * Stochastic depth's mask: one draw per example (the first n of the stream, as dropout takes
     * its first values), spread over every value of the example in the layout [C][n][plane]
     * ({@code channels} 1 and {@code plane} the features for [n][F]).
     */
    public static void exampleMask(dev.cnnc.runtime.train.Rng random, float[] mask, int n, int channels, int plane, float p) {
        float keep = 1f / (1f - p);
        for (int b = 0; b < n; b++) {
            float m = random.nextDouble() < p ? 0f : keep;
            for (int c = 0; c < channels; c++) {
                java.util.Arrays.fill(mask, (c * n + b) * plane, (c * n + b + 1) * plane, m);
            }
        }
    }

    public static void dropoutMask(dev.cnnc.runtime.train.Rng random, float[] mask, int count, float p) {
        float keep = 1f / (1f - p);
        for (int i = 0; i < count; i++) {
            mask[i] = random.nextDouble() < p ? 0f : keep;
        }
    }
}
