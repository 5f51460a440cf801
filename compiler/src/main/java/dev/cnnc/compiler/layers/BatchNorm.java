package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code batchnorm [momentum M] [eps E]}: normalisation over channels (after conv) or
 * features (after dense), as torch.nn.BatchNorm2d/1d with the same defaults (0.1, 1e-5).
 * Weight and bias are trained; running mean and variance are kept but not trained.
 */
public record BatchNorm(double momentum, double eps) implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("batch normalization",
            Signature.of("batchnorm")
                    .option("momentum", "M", ArgType.PROBABILITY)
                    .option("eps", "E", ArgType.POSITIVE)
                    .build(),
            a -> a.ok() ? new BatchNorm(a.real("momentum", 0.1), a.real("eps", 1e-5)) : null);

    @Override
    public String kind() {
        return "batchnorm";
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder("batchnorm");
        if (momentum != 0.1) {
            b.append(" momentum ").append(dev.cnnc.compiler.model.Numbers.plain(momentum));
        }
        if (eps != 1e-5) {
            b.append(" eps ").append(dev.cnnc.compiler.model.Numbers.plain(eps));
        }
        return b.toString();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        return in;
    }

    @Override
    public long trainableParams(Shape in) {
        return Math.multiplyExact(2, in.channels());
    }

    @Override
    public long nonTrainableParams(Shape in) {
        return Math.multiplyExact(2, in.channels());
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.multiplyExact(2, out.elements());
    }
}
