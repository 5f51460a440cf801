package dev.cnnc.runtime.train;

import java.util.List;

/**
 * Training-only augmentation of a batch of [n][C][H][W] images, in place: horizontal flip
 * (half the images), shift by up to N pixels, rotation by up to DEG degrees (bilinear), crop
 * (pad N and crop back, as torchvision's RandomCrop), Gaussian noise. Uncovered pixels take
 * the normalised value of a black pixel. Every draw comes from a generator seeded by the run's
 * seed and the step, so a resumed run augments exactly as an uninterrupted one.
 */
public final class Augmenter {
    public enum Kind { FLIP, SHIFT, ROTATE, CROP, NOISE }

    public record Step(Kind kind, double amount) {
    }

    private final List<Step> steps;
    private final int channels;
    private final int height;
    private final int width;
    private final float[] fill;
    private final float[] scratch;
    private final long seed;

    /** {@code fill[c]}: the normalised value of a black pixel in channel c. */
    public Augmenter(List<Step> steps, int channels, int height, int width, float[] fill, long seed) {
        this.steps = List.copyOf(steps);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.fill = fill.clone();
        this.scratch = new float[height * width];
        this.seed = seed;
    }

    public void apply(float[] batch, int n, long step) {
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + step);
        for (int e = 0; e < n; e++) {
            int base = e * channels * height * width;
            for (Step s : steps) {
                switch (s.kind()) {
                    case FLIP -> {
                        if (rng.nextDouble() < 0.5) {
                            flip(batch, base);
                        }
                    }
                    case SHIFT, CROP -> {
                        int a = (int) s.amount();
                        shift(batch, base, rng.nextInt(2 * a + 1) - a, rng.nextInt(2 * a + 1) - a);
                    }
                    case ROTATE -> rotate(batch, base, Math.toRadians((rng.nextDouble() * 2 - 1) * s.amount()));
                    case NOISE -> {
                        for (int i = 0; i < channels * height * width; i++) {
                            batch[base + i] += (float) (gaussian(rng) * s.amount());
                        }
                    }
                }
            }
        }
    }

    void flip(float[] x, int base) {
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int row = base + (c * height + y) * width;
                for (int i = 0, j = width - 1; i < j; i++, j--) {
                    float t = x[row + i];
                    x[row + i] = x[row + j];
                    x[row + j] = t;
                }
            }
        }
    }

    /** Moves the image by (dy, dx) pixels: out(y, x) = in(y - dy, x - dx). */
    void shift(float[] x, int base, int dy, int dx) {
        for (int c = 0; c < channels; c++) {
            int plane = base + c * height * width;
            for (int y = 0; y < height; y++) {
                for (int i = 0; i < width; i++) {
                    int sy = y - dy;
                    int sx = i - dx;
                    scratch[y * width + i] = sy >= 0 && sy < height && sx >= 0 && sx < width ? x[plane + sy * width + sx] : fill[c];
                }
            }
            System.arraycopy(scratch, 0, x, plane, height * width);
        }
    }

    /** Rotates by {@code angle} radians counter-clockwise about the centre, bilinear. */
    void rotate(float[] x, int base, double angle) {
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double cy = (height - 1) / 2.0;
        double cx = (width - 1) / 2.0;
        for (int c = 0; c < channels; c++) {
            int plane = base + c * height * width;
            for (int y = 0; y < height; y++) {
                for (int i = 0; i < width; i++) {
                    // counter-clockwise for a positive angle (image y grows downwards), as torchvision
                    double sx = cos * (i - cx) - sin * (y - cy) + cx;
                    double sy = sin * (i - cx) + cos * (y - cy) + cy;
                    int x0 = (int) Math.floor(sx);
                    int y0 = (int) Math.floor(sy);
                    double fx = sx - x0;
                    double fy = sy - y0;
                    double v = (1 - fy) * ((1 - fx) * at(x, plane, y0, x0, c) + fx * at(x, plane, y0, x0 + 1, c))
                            + fy * ((1 - fx) * at(x, plane, y0 + 1, x0, c) + fx * at(x, plane, y0 + 1, x0 + 1, c));
                    scratch[y * width + i] = (float) v;
                }
            }
            System.arraycopy(scratch, 0, x, plane, height * width);
        }
    }

    private float at(float[] x, int plane, int y, int i, int c) {
        return y >= 0 && y < height && i >= 0 && i < width ? x[plane + y * width + i] : fill[c];
    }

    private static double gaussian(Rng rng) {
        double u = Math.max(rng.nextDouble(), 1e-300);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
