package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code prelu [N]}: torch.nn.PReLU(num_parameters=N), x if x > 0 else a * x with a learned: one
 * slope for the whole tensor (N = 1, torch's default) or one a channel (N = the channels, or the
 * features after flatten); saved as {@code prelu<n>.weight}, initialised to 0.25.
 */
public record PRelu(int parameters) implements LayerSpec {
    /** torch.nn.PReLU's default init. */
    public static final float INITIAL_SLOPE = 0.25f;

    public static final LayerKind KIND = LayerKind.of("x if x > 0, else a*x with a learned (N = 1 slope, or one a channel)",
            Signature.of("prelu").optionalPositional("parameters", "N", ArgType.COUNT).build(),
            a -> a.ok() ? new PRelu(a.count("parameters", 1)) : null);

    /** The slopes for an input: 1, or one a channel (feature when flat). */
    public int slopes(Shape in) {
        return parameters;
    }

    private static long channels(Shape in) {
        return in.flat() ? in.elements() : in.channels();
    }

    @Override
    public String kind() {
        return "prelu";
    }

    @Override
    public String describe() {
        return parameters == 1 ? "prelu" : "prelu " + parameters;
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (parameters != 1 && parameters != channels(in)) {
            return rules.fail("write prelu (one slope) or prelu " + channels(in) + " (one a channel)", DiagnosticKind.PRELU_SLOPES, describe(),
                    parameters, channels(in));
        }
        return in;
    }

    @Override
    public long trainableParams(Shape in) {
        return slopes(in);
    }

    @Override
    public long flops(Shape in, Shape out) {
        return out.elements();
    }
}
