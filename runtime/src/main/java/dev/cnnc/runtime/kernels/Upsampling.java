package dev.cnnc.runtime.kernels;

/**
 * Upsampling of channel planes by a whole factor, as torch.nn.Upsample with align_corners=False.
 * Planes are contiguous (h*w values each, {@code planes} of them), which both the Java backend's
 * [C][n][H][W] and PyTorch's [n][C][H][W] layouts are. The backward gathers, for each input
 * value, the outputs that read it, so it writes every value once and needs no clearing.
 */
public final class Upsampling {
    private Upsampling() {
    }

    /** Bilinear's lower source index of output o (n inputs along the axis), its upper one, and the upper's weight. */
    static double source(int o, int factor) {
        return Math.max(0, (o + 0.5) / factor - 0.5);
    }

    public static void nearest(float[] x, float[] y, int planes, int h, int w, int f) {
        int oh = h * f, ow = w * f;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                int src = p * h * w + (oy / f) * w;
                int dst = p * oh * ow + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    y[dst + ox] = x[src + ox / f];
                }
            }
        }
    }

    public static void nearestBackward(float[] dy, float[] dx, int planes, int h, int w, int f) {
        int oh = h * f, ow = w * f;
        for (int p = 0; p < planes; p++) {
            for (int iy = 0; iy < h; iy++) {
                for (int ix = 0; ix < w; ix++) {
                    float s = 0;
                    for (int a = 0; a < f; a++) {
                        int row = p * oh * ow + (iy * f + a) * ow + ix * f;
                        for (int b = 0; b < f; b++) {
                            s += dy[row + b];
                        }
                    }
                    dx[p * h * w + iy * w + ix] = s;
                }
            }
        }
    }

    public static void bilinear(float[] x, float[] y, int planes, int h, int w, int f) {
        int oh = h * f, ow = w * f;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                double sy = source(oy, f);
                int y0 = (int) sy;
                int y1 = y0 < h - 1 ? y0 + 1 : y0;
                float ly = (float) (sy - y0);
                for (int ox = 0; ox < ow; ox++) {
                    double sx = source(ox, f);
                    int x0 = (int) sx;
                    int x1 = x0 < w - 1 ? x0 + 1 : x0;
                    float lx = (float) (sx - x0);
                    int base = p * h * w;
                    float top = (1 - lx) * x[base + y0 * w + x0] + lx * x[base + y0 * w + x1];
                    float bottom = (1 - lx) * x[base + y1 * w + x0] + lx * x[base + y1 * w + x1];
                    y[p * oh * ow + oy * ow + ox] = (1 - ly) * top + ly * bottom;
                }
            }
        }
    }

    /** The weight input i carries into output o along one axis (0 when o does not read i). */
    static float weight(int o, int i, int n, int f) {
        double s = source(o, f);
        int i0 = (int) s;
        int i1 = i0 < n - 1 ? i0 + 1 : i0;
        float l = (float) (s - i0);
        float wgt = 0;
        if (i0 == i) {
            wgt += 1 - l;
        }
        if (i1 == i) {
            wgt += l;
        }
        return wgt;
    }

    public static void bilinearBackward(float[] dy, float[] dx, int planes, int h, int w, int f) {
        int oh = h * f, ow = w * f;
        for (int p = 0; p < planes; p++) {
            for (int iy = 0; iy < h; iy++) {
                int oy0 = Math.max(0, (iy - 1) * f), oy1 = Math.min(oh - 1, (iy + 2) * f);
                for (int ix = 0; ix < w; ix++) {
                    int ox0 = Math.max(0, (ix - 1) * f), ox1 = Math.min(ow - 1, (ix + 2) * f);
                    float s = 0;
                    for (int oy = oy0; oy <= oy1; oy++) {
                        float wy = weight(oy, iy, h, f);
                        if (wy == 0) {
                            continue;
                        }
                        for (int ox = ox0; ox <= ox1; ox++) {
                            float wx = weight(ox, ix, w, f);
                            if (wx != 0) {
                                s += wy * wx * dy[p * oh * ow + oy * ow + ox];
                            }
                        }
                    }
                    dx[p * h * w + iy * w + ix] = s;
                }
            }
        }
    }
}
