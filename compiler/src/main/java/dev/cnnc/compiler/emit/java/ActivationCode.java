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
            // "v < 0 ? 0 : v", not "v > 0 ? v : 0": a NaN passes through, as in PyTorch, instead of becoming 0
            case RELU -> "(" + v + " < 0f ? 0f : " + v + ")";
            case LEAKYRELU -> "(" + v + " > 0f ? " + v + " : " + JavaEmitContext.f(a.slope()) + " * " + v + ")";
            case SIGMOID -> "(float) (1.0 / (1.0 + Math.exp(-" + v + ")))";
            case TANH -> "(float) Math.tanh(" + v + ")";
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
        };
    }

    static String describe(Activation a) {
        return a == null ? "" : a.describe();
    }
}
