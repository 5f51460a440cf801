package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;

/** Sliding-window arithmetic shared by conv and pooling: floor((n + 2p - k) / s) + 1 per axis. */
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
        long paddedH = in.height() + 2L * pad[0];
        long paddedW = in.width() + 2L * pad[1];
        if (paddedH < kernel[0] || paddedW < kernel[1]) {
            String hint = pad[0] == 0 && pad[1] == 0
                    ? "use a smaller window, remove a downsampling layer before it, or pad the input"
                    : "use a smaller window or remove a downsampling layer before it";
            rules.fail(hint, DiagnosticKind.INPUT_TOO_SMALL, described,
                    kernel[0] + "x" + kernel[1] + (pad[0] == 0 && pad[1] == 0 ? "" : " (padded)"), in);
            return null;
        }
        return new long[] {(paddedH - kernel[0]) / stride[0] + 1, (paddedW - kernel[1]) / stride[1] + 1};
    }
}
