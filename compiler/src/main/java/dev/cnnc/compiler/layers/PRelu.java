package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code prelu [channels]}: torch.nn.PReLU, x if x > 0 else a * x with a learned: one slope for
 * the whole tensor (torch's default, num_parameters=1) or, with {@code channels}, one per
 * channel (feature, after flatten); saved as {@code prelu<n>.weight}, initialised to 0.25.
 */
public record PRelu(boolean perChannel) implements LayerSpec {
    /** torch.nn.PReLU's default init. */
    public static final float INITIAL_SLOPE = 0.25f;

    public static final LayerKind KIND = LayerKind.of("x if x > 0, else a*x with a learned (one slope, or one a channel)",
            Signature.of("prelu").flag("channels").build(),
            a -> a.ok() ? new PRelu(a.flag("channels")) : null);

    /** The slopes for an input: its channels (features when flat), or 1. */
    public int slopes(Shape in) {
        return perChannel ? (int) (in.flat() ? in.elements() : in.channels()) : 1;
    }

    @Override
    public String kind() {
        return "prelu";
    }

    @Override
    public String describe() {
        return perChannel ? "prelu channels" : "prelu";
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
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
