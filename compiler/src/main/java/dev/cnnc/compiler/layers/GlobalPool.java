package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.Signature;

/** {@code globalavgpool}, {@code globalmaxpool}: one value per channel, HxWxC to 1x1xC. */
public record GlobalPool(boolean max) implements LayerSpec {
    /** One window over the whole plane. */
    @Override
    public double[] receptiveField(double[] field, Shape in) {
        return LayerSpec.window(field, (int) in.height(), (int) in.width(), 1, 1);
    }

    public static final LayerKind AVG = LayerKind.of("average over all positions, per channel",
            Signature.of("globalavgpool").build(), a -> new GlobalPool(false));
    public static final LayerKind MAX = LayerKind.of("maximum over all positions, per channel",
            Signature.of("globalmaxpool").build(), a -> new GlobalPool(true));

    @Override
    public String kind() {
        return max ? "globalmaxpool" : "globalavgpool";
    }

    @Override
    public String describe() {
        return kind();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("global pooling works on HxWxC tensors; move it before flatten or dense",
                    DiagnosticKind.NEEDS_SPATIAL_INPUT, kind(), in);
        }
        return Shape.spatial(1, 1, in.channels());
    }

    @Override
    public long flops(Shape in, Shape out) {
        return in.elements();
    }
}
