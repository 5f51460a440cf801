package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;
import java.util.Locale;

/**
 * Element-wise activations as torch.nn defines them: {@code relu}, {@code leakyrelu [A]},
 * {@code sigmoid}, {@code tanh}, {@code relu6}, {@code hardsigmoid}, {@code hardswish},
 * {@code silu} (alias {@code swish}), {@code elu [A]} and {@code gelu [tanh]} (torch's approximate='none' or
 * 'tanh'); {@code slope} is leakyrelu's slope or elu's alpha.
 */
public record Activation(Function function, double slope) implements LayerSpec {
    public enum Function {
        RELU, LEAKYRELU, SIGMOID, TANH, RELU6, HARDSIGMOID, HARDSWISH, SILU, ELU, GELU, GELU_TANH;

        /**
         * Whether the derivative follows from the output alone (so the activation can run in place
         * in a fused epilogue); silu and hardswish are not monotonic and need their input.
         */
        public boolean fromOutput() {
            return this != HARDSWISH && this != SILU && this != GELU && this != GELU_TANH;
        }
    }

    /** PyTorch's default alpha for ELU. */
    public static final double DEFAULT_ALPHA = 1.0;

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

    public static final LayerKind RELU6 = simple(Function.RELU6, "min(max(0, x), 6)");
    public static final LayerKind HARDSIGMOID = simple(Function.HARDSIGMOID, "min(max(0, x / 6 + 1/2), 1)");
    public static final LayerKind HARDSWISH = simple(Function.HARDSWISH, "x * hardsigmoid(x)");
    public static final LayerKind SILU = LayerKind.of("x * sigmoid(x) (alias swish)", Signature.of("silu").build(),
            a -> new Activation(Function.SILU, 0), "swish");
    public static final LayerKind ELU = LayerKind.of("x if x > 0, else A*(exp(x) - 1) (A defaults to 1)",
            // alpha above 0 keeps the output's sign the input's, so the derivative follows from the output
            Signature.of("elu").optionalPositional("alpha", "A", ArgType.POSITIVE).build(),
            a -> a.ok() ? new Activation(Function.ELU, a.real("alpha", DEFAULT_ALPHA)) : null);

    public static final LayerKind GELU = LayerKind.of("x * Phi(x), Phi the normal distribution (tanh: torch's tanh approximation)",
            Signature.of("gelu").flag("tanh").build(),
            a -> a.ok() ? new Activation(a.flag("tanh") ? Function.GELU_TANH : Function.GELU, 0) : null);

    private static LayerKind simple(Function f, String summary) {
        return LayerKind.of(summary, Signature.of(f.name().toLowerCase(Locale.ROOT)).build(), a -> new Activation(f, 0));
    }

    @Override
    public String kind() {
        return function == Function.GELU_TANH ? "gelu" : function.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String describe() {
        if (function == Function.GELU_TANH) {
            return "gelu tanh";
        }
        return function == Function.LEAKYRELU || function == Function.ELU ? kind() + " " + dev.cnnc.compiler.model.Numbers.plain(slope)
                : kind();
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
