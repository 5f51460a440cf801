package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code upsample F [nearest|bilinear]}: HxWxC to (F*H)x(F*W)xC, as torch.nn.Upsample(scale_factor=F,
 * mode=...) with align_corners=False: nearest repeats each value in an FxF square; bilinear
 * reads output position o at source (o + 0.5) / F - 0.5 (clamped at 0), between its two neighbours.
 */
public record Upsample(int factor, boolean bilinear) implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("upsampling by a whole factor (nearest or bilinear)",
            Signature.of("upsample").positional("factor", "F", ArgType.COUNT).flag("nearest").flag("bilinear").build(),
            a -> a.ok() ? new Upsample(a.count("factor", 2), a.flag("bilinear")) : null);

    @Override
    public String kind() {
        return "upsample";
    }

    @Override
    public String describe() {
        return "upsample " + factor + (bilinear ? " bilinear" : "");
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("upsampling works on HxWxC tensors; move it before flatten or dense", DiagnosticKind.NEEDS_SPATIAL_INPUT,
                    kind(), in);
        }
        return Shape.spatial(Math.multiplyExact(in.height(), (long) factor), Math.multiplyExact(in.width(), (long) factor), in.channels());
    }

    /** An output position reads one input position (nearest) or a 2x2 neighbourhood (bilinear), 1/F apart. */
    @Override
    public double[] receptiveField(double[] field, Shape in) {
        double[] f = bilinear ? LayerSpec.window(field, 2, 2, 1, 1) : field;
        return new double[] {f[0], f[1] / factor, f[2], f[3] / factor};
    }

    @Override
    public long flops(Shape in, Shape out) {
        return bilinear ? 7 * out.elements() : 0; // four weights, three adds a value; nearest only copies
    }

    /** Bilinear's source coordinate of output position o along an axis of n inputs: its lower neighbour and weight. */
    public static double source(int o, int factor) {
        return Math.max(0, (o + 0.5) / factor - 0.5);
    }
}
