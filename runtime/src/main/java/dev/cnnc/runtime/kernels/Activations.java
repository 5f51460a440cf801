package dev.cnnc.runtime.kernels;

/** Derivatives of activations that generated code calls rather than writes out. */
public final class Activations {
    private Activations() {
    }

    /**
     * The gradient through a relu or relu6 over [from, to): dx = dy where lo < y < hi, else 0, y
     * the activation's output; dx may be dy. On {@code gemm}'s Vector API when it has one.
     */
    public static void clampGradient(Gemm gemm, float[] dy, float[] y, float lo, float hi, float[] dx, int from, int to) {
        Runs.of(gemm).clampGradient(dy, y, lo, hi, dx, from, to - from);
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    /**
     * erf(x) to double precision: 2/sqrt(pi) exp(-x^2) sum 2^k x^(2k+1) / (1 * 3 * ... * (2k+1)),
     * a series of positive terms (no cancellation) whose terms fall once 2k+1 passes 2x^2; past
     * |x| = 6, erf is 1 in double.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        if (a >= 6) {
            return Math.signum(x);
        }
        if (Double.isNaN(x)) {
            return x;
        }
        double term = a, sum = a, x2 = a * a;
        for (int k = 1; k < 200 && term > sum * 1e-17; k++) {
            term *= 2 * x2 / (2 * k + 1);
            sum += term;
        }
        return Math.copySign(Math.min(1.0, 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum), x);
    }

    /** gelu(x) = x * Phi(x) = x / 2 * (1 + erf(x / sqrt 2)). */
    public static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** Phi(x) + x * phi(x). */
    public static double geluDerivative(double x) {
        return 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /** torch's approximate='tanh': x / 2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
    }

    public static double geluTanhDerivative(double x) {
        double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x);
    }

    public static float gelu(float x) {
        return (float) gelu((double) x);
    }

    public static float geluDerivative(float x) {
        return (float) geluDerivative((double) x);
    }

    public static float geluTanh(float x) {
        return (float) geluTanh((double) x);
    }

    public static float geluTanhDerivative(float x) {
        return (float) geluTanhDerivative((double) x);
    }

    /** d/dx x * sigmoid(x) = s * (1 + x * (1 - s)), as torch's silu_backward. */
    public static float siluDerivative(float x) {
        double s = 1.0 / (1.0 + Math.exp(-x));
        return (float) (s * (1 + x * (1 - s)));
    }
}
