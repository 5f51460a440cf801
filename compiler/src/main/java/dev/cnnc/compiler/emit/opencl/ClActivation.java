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
            case RELU6 -> "(" + v + " < 0.0f ? 0.0f : " + v + " > 6.0f ? 6.0f : " + v + ")";
            case HARDSIGMOID -> "(" + v + " <= -3.0f ? 0.0f : " + v + " >= 3.0f ? 1.0f : " + v + " / 6.0f + 0.5f)";
            case HARDSWISH -> "(" + v + " <= -3.0f ? 0.0f : " + v + " >= 3.0f ? " + v + " : " + v + " * (" + v + " + 3.0f) / 6.0f)";
            case SILU -> "(" + v + " / (1.0f + exp(-" + v + ")))";
            case ELU -> "(" + v + " > 0.0f ? " + v + " : " + f(a.slope()) + " * expm1(" + v + "))";
            case GELU -> "(0.5f * " + v + " * (1.0f + erf(" + v + " * 0.70710678f)))";
            case GELU_TANH -> "(0.5f * " + v + " * (1.0f + tanh(0.7978845608f * (" + v + " + 0.044715f * " + v + " * " + v + " * " + v + "))))";
        };
    }

    /** f'(x) from the input, for silu and hardswish. */
    static String inputDerivative(Activation a, String x) {
        return switch (a.function()) {
            case SILU -> "((1.0f / (1.0f + exp(-" + x + "))) * (1.0f + " + x + " * (1.0f - 1.0f / (1.0f + exp(-" + x + ")))))";
            case HARDSWISH -> "(" + x + " < -3.0f ? 0.0f : " + x + " > 3.0f ? 1.0f : " + x + " / 3.0f + 0.5f)";
            case GELU -> "(0.5f * (1.0f + erf(" + x + " * 0.70710678f)) + " + x + " * exp(-0.5f * " + x + " * " + x + ") * 0.3989422804f)";
            case GELU_TANH -> {
                String t = "tanh(0.7978845608f * (" + x + " + 0.044715f * " + x + " * " + x + " * " + x + "))";
                yield "(0.5f * (1.0f + " + t + ") + 0.5f * " + x + " * (1.0f - " + t + " * " + t + ") * 0.7978845608f * (1.0f + 0.134145f * "
                        + x + " * " + x + "))";
            }
            default -> throw new IllegalArgumentException(a.kind() + " takes its derivative from the output");
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
            case RELU6 -> "(" + y + " > 0.0f && " + y + " < 6.0f ? 1.0f : 0.0f)";
            case HARDSIGMOID -> "(" + y + " > 0.0f && " + y + " < 1.0f ? " + f(1.0 / 6) + " : 0.0f)";
            case ELU -> "(" + y + " > 0.0f ? 1.0f : " + y + " + " + f(a.slope()) + ")";
            case HARDSWISH, SILU, GELU, GELU_TANH -> throw new IllegalArgumentException(a.kind() + " needs its input for the derivative");
        };
    }
}
