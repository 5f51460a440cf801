package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code dropout P}: zero each value with probability P while training (inverted scaling);
 * identity in inference. {@code stochasticdepth P} is the same per example (torchvision's
 * StochasticDepth, mode "row"): each example's whole tensor is dropped or kept, as a residual
 * branch of EfficientNet is.
 */
public record Dropout(double probability, boolean perExample) implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("random dropout while training",
            Signature.of("dropout").positional("probability", "P", ArgType.PROBABILITY).build(),
            a -> a.ok() ? new Dropout(a.real("probability", 0.5), false) : null);

    public static final LayerKind STOCHASTIC_DEPTH = LayerKind.of("drop whole examples while training (a residual branch's stochastic depth)",
            Signature.of("stochasticdepth").positional("probability", "P", ArgType.PROBABILITY).build(),
            a -> a.ok() ? new Dropout(a.real("probability", 0.5), true) : null);

    public Dropout(double probability) {
        this(probability, false);
    }

    @Override
    public String kind() {
        return perExample ? "stochasticdepth" : "dropout";
    }

    @Override
    public String describe() {
        return kind() + " " + dev.cnnc.compiler.model.Numbers.plain(probability);
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        return in;
    }

    @Override
    public long flops(Shape in, Shape out) {
        return 0; // identity in inference
    }
}
