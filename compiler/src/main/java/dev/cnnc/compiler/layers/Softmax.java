package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.Signature;

/** {@code softmax}: probabilities over the features of a flat input (folded into cross_entropy when training). */
public record Softmax() implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("probabilities over the features",
            Signature.of("softmax").build(), a -> new Softmax());

    @Override
    public String kind() {
        return "softmax";
    }

    @Override
    public String describe() {
        return "softmax";
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (!in.flat()) {
            return rules.fail("add 'flatten' (or a global pool and flatten) before it; a per-pixel classifier (segmentation) "
                            + "ends in logits instead, conv K 1x1, and cross_entropy takes the softmax over the K channels of each pixel",
                    DiagnosticKind.NEEDS_FLAT_INPUT, "softmax", in);
        }
        return in;
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.multiplyExact(3, out.elements()); // exp, sum, divide
    }
}
