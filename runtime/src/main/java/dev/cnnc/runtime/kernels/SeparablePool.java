package dev.cnnc.runtime.kernels;

/**
 * Window pooling in two passes, rows then columns: a kh x kw window's max (or sum) is the max
 * (or sum) over its kh rows of each row's kw-wide max (sum), so a tap is read kh + kw times per
 * output instead of kh * kw, by Math.max/min (selects, no branches: which tap wins is data, and a
 * mispredicted branch a tap cost 13 ns an output), with the clipping worked out once per row and
 * column. Math.max propagates a NaN, so a window holding one yields NaN, as PyTorch's does.
 * When training, a third pass finds the argmax: the first tap equal to the result in row-major
 * order, or for a NaN result the last NaN, exactly what a row-major scan taking "v > best or v is
 * NaN" picks.
 */
final class SeparablePool {
    private SeparablePool() {
    }

    /**
     * One plane: in [h][w] at ib, out and arg [oh][ow] at ob; op 0 max, 1 average, 2 min; arg
     * (absolute indices into in) only when {@code saveArg}. rowBest is scratch of h * ow.
     */
    static void plane(int op, float[] in, int ib, float[] out, int[] arg, int ob, int h, int w, int kh, int kw, int sh, int sw, int ph,
                      int pw, int pb, int pr, int oh, int ow, float[] rowBest, boolean saveArg) {
        // the columns whose windows lie inside the row: [xa, xb)
        int xa = Math.min(ow, (pw + sw - 1) / sw), xb = Math.max(xa, Math.min(ow, (w + pw - kw) / sw + 1));
        boolean wholePlane = sw == 1 && ow == w && kw <= w;
        if (wholePlane) {
            // stride 1 keeping the width: the plane's rows side by side are one run; the positions
            // whose windows wrap into the next row are edge columns, redone row by row below
            int lo = pw, hi = h * w - (kw - 1 - pw);
            System.arraycopy(in, ib + lo - pw, rowBest, lo, hi - lo);
            for (int j = 1; j < kw; j++) {
                combineRun(op, rowBest, lo, in, ib + lo - pw + j, 1, hi - lo);
            }
        }
        for (int iy = 0; iy < h; iy++) {
            int row = ib + iy * w, rb = iy * ow;
            clippedColumns(op, in, row, rowBest, rb, 0, xa, w, kw, sw, pw);
            clippedColumns(op, in, row, rowBest, rb, xb, ow, w, kw, sw, pw);
            if (xb > xa && !wholePlane) {
                int first = row + xa * sw - pw;
                strided(in, first, sw, rowBest, rb + xa, xb - xa);
                for (int j = 1; j < kw; j++) {
                    combineRun(op, rowBest, rb + xa, in, first + j, sw, xb - xa);
                }
            }
        }
        // stride 1 down: the rows whose windows lie inside the plane, [ya, yb), as one run a tap
        int ya = sh == 1 ? Math.min(oh, ph) : 0, yb = sh == 1 ? Math.max(ya, Math.min(oh, h - kh + ph + 1)) : 0;
        if (yb > ya) {
            System.arraycopy(rowBest, (ya - ph) * ow, out, ob + ya * ow, (yb - ya) * ow);
            for (int i = 1; i < kh; i++) {
                combineRun(op, out, ob + ya * ow, rowBest, (ya - ph + i) * ow, 1, (yb - ya) * ow);
            }
        }
        for (int y = 0; y < oh; y++) {
            int y0 = Math.max(0, y * sh - ph), y1 = Math.min(h, y * sh - ph + kh);
            int o = ob + y * ow;
            if (y < ya || y >= yb) {
                System.arraycopy(rowBest, y0 * ow, out, o, ow);
                for (int iy = y0 + 1; iy < y1; iy++) {
                    combineRun(op, out, o, rowBest, iy * ow, 1, ow);
                }
            }
            if (op == 1) {
                int rows = Math.min(y * sh - ph + kh, h + pb) - (y * sh - ph);
                for (int x = 0; x < ow; x++) {
                    out[o + x] /= rows * (Math.min(x * sw - pw + kw, w + pr) - (x * sw - pw));
                }
            } else if (saveArg) {
                for (int x = 0; x < ow; x++) {
                    arg[o + x] = argOf(in, ib, w, rowBest, ow, x, out[o + x], y0, y1, Math.max(0, x * sw - pw), Math.min(w, x * sw - pw + kw));
                }
            }
        }
    }

    /** Output columns [from, to) of one row whose windows reach past the row's ends: each window clipped to it. */
    private static void clippedColumns(int op, float[] in, int row, float[] rowBest, int rb, int from, int to, int w, int kw, int sw, int pw) {
        for (int x = from; x < to; x++) {
            int x0 = Math.max(0, x * sw - pw), x1 = Math.min(w, x * sw - pw + kw);
            rowBest[rb + x] = in[row + x0];
            for (int ix = x0 + 1; ix < x1; ix++) {
                rowBest[rb + x] = combine(op, rowBest[rb + x], in[row + ix]);
            }
        }
    }

    private static float combine(int op, float a, float b) {
        return op == 0 ? Math.max(a, b) : op == 2 ? Math.min(a, b) : a + b;
    }

    /** dst[d + i] = src[s + i * stride] for i in [0, count). */
    private static void strided(float[] src, int s, int stride, float[] dst, int d, int count) {
        if (stride == 1) {
            System.arraycopy(src, s, dst, d, count);
            return;
        }
        for (int i = 0; i < count; i++) {
            dst[d + i] = src[s + i * stride];
        }
    }

    /**
     * dst[d + i] = op(dst[d + i], src[s + i * stride]) for i in [0, count): one loop per op and
     * stride, each plain enough for the JIT to vectorise at stride 1.
     */
    private static void combineRun(int op, float[] dst, int d, float[] src, int s, int stride, int count) {
        if (stride == 1) {
            switch (op) {
                case 0 -> {
                    for (int i = 0; i < count; i++) {
                        dst[d + i] = Math.max(dst[d + i], src[s + i]);
                    }
                }
                case 2 -> {
                    for (int i = 0; i < count; i++) {
                        dst[d + i] = Math.min(dst[d + i], src[s + i]);
                    }
                }
                default -> {
                    for (int i = 0; i < count; i++) {
                        dst[d + i] += src[s + i];
                    }
                }
            }
            return;
        }
        switch (op) {
            case 0 -> {
                for (int i = 0; i < count; i++) {
                    dst[d + i] = Math.max(dst[d + i], src[s + i * stride]);
                }
            }
            case 2 -> {
                for (int i = 0; i < count; i++) {
                    dst[d + i] = Math.min(dst[d + i], src[s + i * stride]);
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    dst[d + i] += src[s + i * stride];
                }
            }
        }
    }

    /**
     * A max or min pool of a plane without NaNs, with its argmax, in the same two passes: the
     * winner's index rides along through integer masks ({@code v > best} as 0 or -1), so nothing
     * branches on the data. Strict compares keep the first of equal values in each pass, hence the
     * row-major first in the window.
     */
    static void planeWithArg(boolean max, float[] in, int ib, float[] out, int[] arg, int ob, int h, int w, int kh, int kw, int sh, int sw,
                             int ph, int pw, int oh, int ow, float[] rowBest, int[] rowArg) {
        for (int iy = 0; iy < h; iy++) {
            int row = ib + iy * w;
            for (int x = 0; x < ow; x++) {
                int x0 = Math.max(0, x * sw - pw), x1 = Math.min(w, x * sw - pw + kw);
                float best = in[row + x0];
                int a = row + x0;
                for (int ix = x0 + 1; ix < x1; ix++) {
                    float v = in[row + ix];
                    int m = (max ? v > best : v < best) ? -1 : 0;
                    best = max ? Math.max(best, v) : Math.min(best, v);
                    a = ((row + ix) & m) | (a & ~m);
                }
                rowBest[iy * ow + x] = best;
                rowArg[iy * ow + x] = a;
            }
        }
        for (int y = 0; y < oh; y++) {
            int y0 = Math.max(0, y * sh - ph), y1 = Math.min(h, y * sh - ph + kh);
            int o = ob + y * ow;
            System.arraycopy(rowBest, y0 * ow, out, o, ow);
            System.arraycopy(rowArg, y0 * ow, arg, o, ow);
            for (int iy = y0 + 1; iy < y1; iy++) {
                int r = iy * ow;
                for (int x = 0; x < ow; x++) {
                    float v = rowBest[r + x], best = out[o + x];
                    int m = (max ? v > best : v < best) ? -1 : 0;
                    out[o + x] = max ? Math.max(best, v) : Math.min(best, v);
                    arg[o + x] = (rowArg[r + x] & m) | (arg[o + x] & ~m);
                }
            }
        }
    }

    /** Whether the plane holds a NaN (then the argmax takes the slower path that finds the last NaN). */
    static boolean hasNaN(float[] in, int from, int count) {
        boolean nan = false;
        for (int i = from; i < from + count; i++) {
            nan |= in[i] != in[i];
        }
        return nan;
    }

    /**
     * Where in the window (rows y0..y1, columns x0..x1) the result came from: its first tap, or
     * the last NaN. The row first, from the row pass's results (the first row whose max is the
     * result, or the last whose max is NaN), then the column in it: kh + kw compares, not kh * kw.
     */
    private static int argOf(float[] in, int ib, int w, float[] rowBest, int ow, int x, float best, int y0, int y1, int x0, int x1) {
        boolean nan = best != best;
        int row = y0;
        if (nan) {
            for (int iy = y0; iy < y1; iy++) {
                float v = rowBest[iy * ow + x];
                row = v != v ? iy : row;
            }
        } else {
            for (int iy = y0; iy < y1; iy++) {
                if (rowBest[iy * ow + x] == best) {
                    row = iy;
                    break;
                }
            }
        }
        int base = ib + row * w;
        int found = base + x0;
        if (nan) {
            for (int ix = x0; ix < x1; ix++) {
                float v = in[base + ix];
                found = v != v ? base + ix : found;
            }
            return found;
        }
        for (int ix = x0; ix < x1; ix++) {
            if (in[base + ix] == best) {
                return base + ix;
            }
        }
        return found;
    }
}
