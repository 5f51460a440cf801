package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.Signature;

/** {@code flatten}: HxWxC to H*W*C features, in PyTorch's C,H,W order. */
public record Flatten() implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("HxWxC to one feature vector",
            Signature.of("flatten").build(), a -> new Flatten());

    @Override
    public String kind() {
        return "flatten";
    }

    @Override
    public String describe() {
        return "flatten";
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        return Shape.flat(in.elements());
    }

    @Override
    public long flops(Shape in, Shape out) {
        return 0;
    }
}
