package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;
import java.util.Locale;

/** {@code relu}, {@code leakyrelu [A]}, {@code sigmoid}, {@code tanh}: element-wise activations. */
public record Activation(Function function, double slope) implements LayerSpec {
    public enum Function { RELU, LEAKYRELU, SIGMOID, TANH }

    /** PyTorch's default negative slope for LeakyReLU. */
    public static final double DEFAULT_SLOPE = 0.01;

    public static final LayerKind RELU = simple(Function.RELU, "max(0, x)");
    public static final LayerKind SIGMOID = simple(Function.SIGMOID, "1 / (1 + exp(-x))");
    public static final LayerKind TANH = simple(Function.TANH, "hyperbolic tangent");
    public static final LayerKind LEAKYRELU = LayerKind.of("x if x > 0, else A*x (A defaults to 0.01)",
            // A slope below 0 would make the sign of the output ambiguous, and backward derives the
            // derivative from the output (it is not kept otherwise).
            Signature.of("leakyrelu").optionalPositional("slope", "A", ArgType.NON_NEGATIVE).build(),
            a -> a.ok() ? new Activation(Function.LEAKYRELU, a.real("slope", DEFAULT_SLOPE)) : null);

    private static LayerKind simple(Function f, String summary) {
        return LayerKind.of(summary, Signature.of(f.name().toLowerCase(Locale.ROOT)).build(), a -> new Activation(f, 0));
    }

    @Override
    public String kind() {
        return function.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String describe() {
        return function == Function.LEAKYRELU ? "leakyrelu " + dev.cnnc.compiler.model.Numbers.plain(slope) : kind();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        return in;
    }

    @Override
    public long flops(Shape in, Shape out) {
        return out.elements();
    }
}
