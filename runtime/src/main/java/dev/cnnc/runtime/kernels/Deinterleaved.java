package dev.cnnc.runtime.kernels;

/**
 * Padded planes held deinterleaved: padded row r's even columns at {@code at + r * 2hr}, its odd
 * columns {@code hr} further on ({@code hr}, the half row, at least half the padded width). Where
 * a kernel reads columns two apart (Winograd's overlapping tiles, a direct convolution into
 * window-major order), each such run is then one contiguous load.
 */
final class Deinterleaved {
    private Deinterleaved() {
    }

    /**
     * Copies plane [h][w] at {@code src} into eo at padded row y + ph and column x + pw; nothing else
     * of eo is written, so a border once zero stays zero.
     */
    static void copy(float[] in, int src, int h, int w, int ph, int pw, float[] eo, int at, int hr) {
        // input column x lands in half (x + pw) & 1 at (x + pw) >> 1: one loop per half, no index
        // arithmetic per element (one loop computing both measured ~4 % of a training step)
        int evenFrom = pw & 1; // the first x whose padded column is even
        int oddFrom = 1 - evenFrom;
        for (int y = 0; y < h; y++) {
            int row = at + (y + ph) * 2 * hr;
            int s = src + y * w;
            for (int x = evenFrom, k = row + ((evenFrom + pw) >> 1); x < w; x += 2, k++) {
                eo[k] = in[s + x];
            }
            for (int x = oddFrom, k = row + hr + ((oddFrom + pw) >> 1); x < w; x += 2, k++) {
                eo[k] = in[s + x];
            }
        }
    }
}
