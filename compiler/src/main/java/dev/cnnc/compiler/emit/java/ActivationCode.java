package dev.cnnc.compiler.emit.java;

import dev.cnnc.compiler.layers.Activation;

/** Java expressions for an activation and for its derivative, taken from the activation's output. */
final class ActivationCode {
    private ActivationCode() {
    }

    /** f(v) for a float expression v (evaluated once: v must be a variable). */
    static String apply(Activation a, String v) {
        if (a == null) {
            return v;
        }
        return switch (a.function()) {
            // Math.max, which the JIT vectorises and which keeps a NaN, as PyTorch does ("v > 0 ? v : 0" would make it 0)
            case RELU -> "Math.max(" + v + ", 0f)";
            case LEAKYRELU -> "(" + v + " > 0f ? " + v + " : " + JavaEmitContext.f(a.slope()) + " * " + v + ")";
            case SIGMOID -> "(float) (1.0 / (1.0 + Math.exp(-" + v + ")))";
            case TANH -> "(float) Math.tanh(" + v + ")";
            case RELU6 -> "Math.min(Math.max(" + v + ", 0f), 6f)";
            case HARDSIGMOID -> "(" + v + " <= -3f ? 0f : " + v + " >= 3f ? 1f : " + v + " / 6f + 0.5f)";
            case HARDSWISH -> "(" + v + " <= -3f ? 0f : " + v + " >= 3f ? " + v + " : " + v + " * (" + v + " + 3f) / 6f)";
            case SILU -> "(float) (" + v + " / (1.0 + Math.exp(-" + v + ")))";
            case ELU -> "(" + v + " > 0f ? " + v + " : (float) (" + JavaEmitContext.f(a.slope()) + " * Math.expm1(" + v + ")))";
            case GELU -> "dev.cnnc.runtime.kernels.Activations.gelu(" + v + ")";
            case GELU_TANH -> "dev.cnnc.runtime.kernels.Activations.geluTanh(" + v + ")";
        };
    }

    /** f'(x) written with the input x, for the activations whose derivative the output does not give. */
    static String inputDerivative(Activation a, String x) {
        return switch (a.function()) {
            case SILU -> "dev.cnnc.runtime.kernels.Activations.siluDerivative(" + x + ")";
            case HARDSWISH -> "(" + x + " < -3f ? 0f : " + x + " > 3f ? 1f : " + x + " / 3f + 0.5f)";
            case GELU -> "dev.cnnc.runtime.kernels.Activations.geluDerivative(" + x + ")";
            case GELU_TANH -> "dev.cnnc.runtime.kernels.Activations.geluTanhDerivative(" + x + ")";
            default -> throw new IllegalArgumentException(a.kind() + " takes its derivative from the output");
        };
    }

    /** f'(x) written with y = f(x); valid because leakyrelu slopes are at least 0. */
    static String derivative(Activation a, String y) {
        if (a == null) {
            return "1f";
        }
        return switch (a.function()) {
            case RELU -> "(" + y + " > 0f ? 1f : 0f)";
            case LEAKYRELU -> "(" + y + " > 0f ? 1f : " + JavaEmitContext.f(a.slope()) + ")";
            case SIGMOID -> "(" + y + " * (1f - " + y + "))";
            case TANH -> "(1f - " + y + " * " + y + ")";
            case RELU6 -> "(" + y + " > 0f && " + y + " < 6f ? 1f : 0f)";
            case HARDSIGMOID -> "(" + y + " > 0f && " + y + " < 1f ? " + JavaEmitContext.f(1.0 / 6) + " : 0f)";
            case ELU -> "(" + y + " > 0f ? 1f : " + y + " + " + JavaEmitContext.f(a.slope()) + ")";
            case HARDSWISH, SILU, GELU, GELU_TANH -> throw new IllegalArgumentException(a.kind() + " needs its input for the derivative");
        };
    }

    /** "lo, hi": the bounds of a relu or relu6, or infinite ones for no activation (no clamp). */
    static String clampBounds(Activation a) {
        if (a == null) {
            return "Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY";
        }
        return switch (a.function()) {
            case RELU -> "0f, Float.POSITIVE_INFINITY";
            case RELU6 -> "0f, 6f";
            default -> throw new IllegalArgumentException(a.kind() + " is not a clamp");
        };
    }

    /** relu or relu6 of an expression (evaluated once): Math.max and min, which keep a NaN. */
    static String clampOf(Activation a, String expression) {
        return switch (a.function()) {
            case RELU -> "Math.max(" + expression + ", 0f)";
            case RELU6 -> "Math.min(Math.max(" + expression + ", 0f), 6f)";
            default -> throw new IllegalArgumentException(a.kind() + " is not a clamp");
        };
    }

    static String describe(Activation a) {
        return a == null ? "" : a.describe();
    }
}
