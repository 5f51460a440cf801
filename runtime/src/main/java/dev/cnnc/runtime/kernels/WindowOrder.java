package dev.cnnc.runtime.kernels;

/**
 * The window-major order of a convolution's output plane, for a 2x2, stride-2 pool that tiles it
 * exactly (even height and width): the plane is held as four quarter planes, quarter
 * {@code 2 * dy + dx} holding output (2 * py + dy, 2 * px + dx) at {@code py * OW / 2 + px}. Each
 * pool window is then the same position in four contiguous runs, so the pool, its argmax and its
 * backward are straight vector loops ({@link WindowPool}) instead of strided gathers and scatters.
 * Only the order of a group's columns changes: the products neither know nor care, and im2col and
 * col2im here write and read the columns in this order.
 */
public final class WindowOrder {
    private WindowOrder() {
    }

    /** im2col (as {@link Ops#im2col}) of examples [from, to), the columns of each example in window-major order. */
    public static void im2col(Parallel par, float[] in, int n, int from, int to, float[] col, int colOff, int channels, int h, int w,
                              int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
        check(oh, ow);
        int rows = channels * kh * kw;
        int plane = oh * ow;
        int quarter = plane / 4;
        int halfW = ow / 2;
        int cols = (to - from) * plane;
        par.forRange(rows, Parallel.grain(cols), (rowFrom, rowTo) -> {
            for (int r = rowFrom; r < rowTo; r++) {
                int c = r / (kh * kw);
                int i = (r / kw) % kh;
                int j = r % kw;
                for (int b = from; b < to; b++) {
                    int src = (c * n + b) * h * w;
                    int dst = colOff + r * cols + (b - from) * plane;
                    for (int q = 0; q < 4; q++) {
                        int dy = q >> 1;
                        int dx = q & 1;
                        for (int py = 0; py < oh / 2; py++) {
                            int iy = (2 * py + dy) * sh + i - ph;
                            int d = dst + q * quarter + py * halfW;
                            if (iy < 0 || iy >= h) {
                                java.util.Arrays.fill(col, d, d + halfW, 0f);
                                continue;
                            }
                            int row = src + iy * w;
                            int x0 = dx * sw + j - pw; // input column of px = 0; each px steps 2 * sw
                            int step = 2 * sw;
                            // px in [lo, hi) read inside the row; the padding on either side is zero
                            int lo = firstInside(x0, step, halfW);
                            int hi = endInside(x0, step, w, lo, halfW);
                            java.util.Arrays.fill(col, d, d + lo, 0f);
                            for (int px = lo, ix = row + x0 + step * lo; px < hi; px++, ix += step) {
                                col[d + px] = in[ix];
                            }
                            java.util.Arrays.fill(col, d + hi, d + halfW, 0f);
                        }
                    }
                }
            }
        });
    }

    /** The adjoint of {@link #im2col}: the planes of examples [from, to) of dIn overwritten, the others left alone. */
    public static void col2im(Parallel par, float[] dcol, int colOff, float[] din, int n, int from, int to, int channels, int h, int w,
                              int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
        check(oh, ow);
        int plane = oh * ow;
        int quarter = plane / 4;
        int halfW = ow / 2;
        int cols = (to - from) * plane;
        par.forRange(channels, Parallel.grain((long) cols * kh * kw), (cFrom, cTo) -> {
            for (int c = cFrom; c < cTo; c++) {
                java.util.Arrays.fill(din, (c * n + from) * h * w, (c * n + to) * h * w, 0f);
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int r = (c * kh + i) * kw + j;
                        for (int b = from; b < to; b++) {
                            int dst = (c * n + b) * h * w;
                            int src = colOff + r * cols + (b - from) * plane;
                            for (int q = 0; q < 4; q++) {
                                int dy = q >> 1;
                                int dx = q & 1;
                                for (int py = 0; py < oh / 2; py++) {
                                    int iy = (2 * py + dy) * sh + i - ph;
                                    if (iy < 0 || iy >= h) {
                                        continue;
                                    }
                                    int s = src + q * quarter + py * halfW;
                                    int row = dst + iy * w;
                                    int x0 = dx * sw + j - pw;
                                    int step = 2 * sw;
                                    // only px in [lo, hi) land inside the row; the others fell on the padding
                                    int lo = firstInside(x0, step, halfW);
                                    int hi = endInside(x0, step, w, lo, halfW);
                                    for (int px = lo, ix = row + x0 + step * lo; px < hi; px++, ix += step) {
                                        din[ix] += dcol[s + px];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /** The first px (of halfW) whose input column x0 + step * px is not left of the row: 0 unless x0 < 0. */
    private static int firstInside(int x0, int step, int halfW) {
        return x0 >= 0 ? 0 : Math.min(halfW, (-x0 + step - 1) / step);
    }

    /** One past the last px (from {@code lo}, of halfW) whose input column x0 + step * px is inside a row of w. */
    private static int endInside(int x0, int step, int w, int lo, int halfW) {
        return Math.max(lo, Math.min(halfW, x0 < w ? (w - 1 - x0) / step + 1 : 0));
    }

    private static void check(int oh, int ow) {
        if (oh % 2 != 0 || ow % 2 != 0) {
            throw new IllegalArgumentException("window-major order needs an even output plane, not " + oh + "x" + ow);
        }
    }
}
