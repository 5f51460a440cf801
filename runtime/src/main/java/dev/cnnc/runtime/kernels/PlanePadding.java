package dev.cnnc.runtime.kernels;

/**
 * Zero padding of contiguous h x w planes by different amounts per side (what a conv with
 * asymmetric padding reads: its input padded once, then a conv without padding), and its
 * backward, the crop of the padded gradient back to the input's planes.
 */
public final class PlanePadding {
    private PlanePadding() {
    }

    /** y's planes (oh x ow each) = x's (h x w) placed at (top, left), zeros around. */
    public static void pad(float[] x, float[] y, int planes, int h, int w, int top, int left, int oh, int ow) {
        for (int p = 0; p < planes; p++) {
            int dst = p * oh * ow;
            java.util.Arrays.fill(y, dst, dst + top * ow, 0f);
            for (int r = 0; r < h; r++) {
                int row = dst + (top + r) * ow;
                java.util.Arrays.fill(y, row, row + left, 0f);
                System.arraycopy(x, p * h * w + r * w, y, row + left, w);
                java.util.Arrays.fill(y, row + left + w, row + ow, 0f);
            }
            java.util.Arrays.fill(y, dst + (top + h) * ow, dst + oh * ow, 0f);
        }
    }

    /** dx's planes = the h x w window of dy's planes at (top, left): the gradient padding's zeros drop. */
    public static void crop(float[] dy, float[] dx, int planes, int h, int w, int top, int left, int oh, int ow) {
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < h; r++) {
                System.arraycopy(dy, p * oh * ow + (top + r) * ow + left, dx, p * h * w + r * w, w);
            }
        }
    }
}
