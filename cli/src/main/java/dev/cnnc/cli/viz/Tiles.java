package dev.cnnc.cli.viz;

import java.awt.image.BufferedImage;

/** What the viz grids share: values normalised to 0..255 grey levels, painted as blocks of whole pixels. */
final class Tiles {
    private Tiles() {
    }

    /** {lo, range} of values[from, from + count): range 1 for a constant run, so it paints black. */
    static float[] range(float[] values, int from, int count) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + count; i++) {
            lo = Math.min(lo, values[i]);
            hi = Math.max(hi, values[i]);
        }
        return new float[] {lo, hi > lo ? hi - lo : 1};
    }

    /** v's level: lo 0, lo + range 255. */
    static int level(float v, float[] range) {
        return Math.max(0, Math.min(255, Math.round((v - range[0]) / range[1] * 255)));
    }

    /** An s x s block of colour rgb with its top-left pixel at (x, y). */
    static void block(BufferedImage image, int x, int y, int s, int rgb) {
        for (int dy = 0; dy < s; dy++) {
            for (int dx = 0; dx < s; dx++) {
                image.setRGB(x + dx, y + dy, rgb);
            }
        }
    }

    static int grey(int level) {
        return (level << 16) | (level << 8) | level;
    }
}
