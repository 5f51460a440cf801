package dev.cnnc.cli.viz;

/**
 * Grad-CAM (Selvaraju et al. 2017) and plain saliency (Simonyan et al. 2014) from the arrays a
 * backward pass leaves: each channel of the activations A weighted by the spatial mean of
 * d score / d A, summed, clipped at zero and resized to the input bilinearly (as torch's
 * F.interpolate with align_corners=False); saliency the largest |d score / d input| over channels.
 */
public final class GradCam {
    private GradCam() {
    }

    /** ReLU(sum_k mean(dA_k) A_k) over an [channels][height][width] A: [height][width]. */
    public static float[] map(float[] activations, float[] gradient, int channels, int height, int width) {
        int plane = height * width;
        double[] sum = new double[plane];
        for (int k = 0; k < channels; k++) {
            double alpha = 0;
            for (int i = 0; i < plane; i++) {
                alpha += gradient[k * plane + i];
            }
            alpha /= plane;
            for (int i = 0; i < plane; i++) {
                sum[i] += alpha * activations[k * plane + i];
            }
        }
        float[] cam = new float[plane];
        for (int i = 0; i < plane; i++) {
            cam[i] = (float) Math.max(0, sum[i]);
        }
        return cam;
    }

    /** A [height][width] plane resized to [toHeight][toWidth] bilinearly, pixel centres aligned (align_corners=False). */
    public static float[] resize(float[] plane, int height, int width, int toHeight, int toWidth) {
        float[] out = new float[toHeight * toWidth];
        for (int y = 0; y < toHeight; y++) {
            double sy = source(y, height, toHeight);
            int y0 = (int) sy, y1 = Math.min(y0 + 1, height - 1);
            double fy = sy - y0;
            for (int x = 0; x < toWidth; x++) {
                double sx = source(x, width, toWidth);
                int x0 = (int) sx, x1 = Math.min(x0 + 1, width - 1);
                double fx = sx - x0;
                double top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx;
                double bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx;
                out[y * toWidth + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    /** The input coordinate output pixel i samples: torch's (i + 0.5) * in / out - 0.5, not below 0. */
    private static double source(int i, int in, int out) {
        return Math.max(0, (i + 0.5) * in / out - 0.5);
    }

    /** max over channels of |gradient| for an [channels][height][width] input gradient: [height][width]. */
    public static float[] saliency(float[] gradient, int channels, int plane) {
        float[] out = new float[plane];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < plane; i++) {
                out[i] = Math.max(out[i], Math.abs(gradient[c * plane + i]));
            }
        }
        return out;
    }
}
