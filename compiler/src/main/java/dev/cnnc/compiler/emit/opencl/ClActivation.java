package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Activation;
import java.util.Locale;

/** OpenCL C expressions for an activation and its derivative (taken from the activation's output). */
final class ClActivation {
    private ClActivation() {
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.9gf", v);
    }

    /** f(v); v must be a variable. */
    static String apply(Activation a, String v) {
        if (a == null) {
            return v;
        }
        return switch (a.function()) {
            case RELU -> "(" + v + " < 0.0f ? 0.0f : " + v + ")"; // NaN passes through, as in PyTorch
            case LEAKYRELU -> "(" + v + " > 0.0f ? " + v + " : " + f(a.slope()) + " * " + v + ")";
            case SIGMOID -> "(1.0f / (1.0f + exp(-" + v + ")))";
            case TANH -> "tanh(" + v + ")";
        };
    }

    /** f'(x) written with y = f(x); leakyrelu slopes are at least 0, so the sign of y is the sign of x. */
    static String derivative(Activation a, String y) {
        if (a == null) {
            return "1.0f";
        }
        return switch (a.function()) {
            case RELU -> "(" + y + " > 0.0f ? 1.0f : 0.0f)";
            case LEAKYRELU -> "(" + y + " > 0.0f ? 1.0f : " + f(a.slope()) + ")";
            case SIGMOID -> "(" + y + " * (1.0f - " + y + "))";
            case TANH -> "(1.0f - " + y + " * " + y + ")";
        };
    }
}
