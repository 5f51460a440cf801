package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/** {@code dropout P}: zero each value with probability P while training (inverted scaling); identity in inference. */
public record Dropout(double probability) implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("random dropout while training",
            Signature.of("dropout").positional("probability", "P", ArgType.PROBABILITY).build(),
            a -> a.ok() ? new Dropout(a.real("probability", 0.5)) : null);

    @Override
    public String kind() {
        return "dropout";
    }

    @Override
    public String describe() {
        return "dropout " + dev.cnnc.compiler.model.Numbers.plain(probability);
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
