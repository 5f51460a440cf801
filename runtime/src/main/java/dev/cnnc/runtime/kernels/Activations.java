package dev.cnnc.runtime.kernels;

/** Derivatives of activations that generated code calls rather than writes out. */
public final class Activations {
    private Activations() {
    }

    /** d/dx x * sigmoid(x) = s * (1 + x * (1 - s)), as torch's silu_backward. */
    public static float siluDerivative(float x) {
        double s = 1.0 / (1.0 + Math.exp(-x));
        return (float) (s * (1 + x * (1 - s)));
    }
}
