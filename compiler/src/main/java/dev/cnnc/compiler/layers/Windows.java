package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;

/**
 * Sliding-window arithmetic shared by conv and pooling: floor((n + top + bottom - k) / s) + 1 per
 * axis, or in ceil mode (pools) ceil(...) + 1 less a last window that would start past the input
 * and its leading padding (torch's rule).
 */
final class Windows {
    private Windows() {
    }

    static String size(int h, int w) {
        return h == w ? Integer.toString(h) : h + "x" + w;
    }

    /**
     * The output height and width, or null after reporting that the (padded) input is
     * smaller than the window. {@code described} is the layer as shown ("maxpool 2").
     */
    static long[] outputSize(Shape in, String described, int[] kernel, int[] stride, int[] pad, ShapeRules rules) {
        return outputSize(in, described, kernel, stride, new int[] {pad[0], pad[0], pad[1], pad[1]}, false, rules);
    }

    /** The same with padding per side ({top, bottom, left, right}) and torch's ceil mode. */
    static long[] outputSize(Shape in, String described, int[] kernel, int[] stride, int[] sides, boolean ceil, ShapeRules rules) {
        int[] pad = {sides[0] + sides[1], sides[2] + sides[3]};
        long paddedH = in.height() + pad[0];
        long paddedW = in.width() + pad[1];
        if (paddedH < kernel[0] || paddedW < kernel[1]) {
            String hint = pad[0] == 0 && pad[1] == 0
                    ? "use a smaller window, remove a downsampling layer before it, or pad the input"
                    : "use a smaller window or remove a downsampling layer before it";
            rules.fail(hint, DiagnosticKind.INPUT_TOO_SMALL, described,
                    kernel[0] + "x" + kernel[1] + (pad[0] == 0 && pad[1] == 0 ? "" : " (padded)"), in);
            return null;
        }
        return new long[] {extent(in.height(), sides[0], paddedH, kernel[0], stride[0], ceil),
                extent(in.width(), sides[2], paddedW, kernel[1], stride[1], ceil)};
    }

    private static long extent(long n, int leading, long padded, int k, int s, boolean ceil) {
        if (!ceil) {
            return (padded - k) / s + 1;
        }
        long out = (padded - k + s - 1) / s + 1;
        return (out - 1) * s >= n + leading ? out - 1 : out;
    }
}
