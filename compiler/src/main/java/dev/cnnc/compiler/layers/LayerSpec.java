package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.model.Shape;

/**
 * One layer as the checker sees it, with its arguments read and validated. Each layer kind
 * is one record implementing this interface, in one file with its {@link LayerKind}: the
 * words it takes, its output shape, parameter count and FLOPs. Later stages (lowering,
 * emission, the reference implementation) switch on these records.
 */
public interface LayerSpec {
    /** The kind's word: conv, maxpool, dense... (an alias such as fc is shown as dense). */
    String kind();

    /** How the layer is shown in summaries, normalised: "conv 32 3x3 pad same". */
    String describe();

    /**
     * The output shape for an input shape, or null after reporting through {@code rules} why
     * there is none. Arithmetic may throw ArithmeticException on overflow; the checker reports it.
     */
    Shape outputShape(Shape in, ShapeRules rules);

    /** Trained parameters, counted as PyTorch's {@code parameters()} does. */
    default long trainableParams(Shape in) {
        return 0;
    }

    /** Non-trained state kept with the weights (batchnorm running statistics). */
    default long nonTrainableParams(Shape in) {
        return 0;
    }

    /** Forward (inference) floating-point operations per example; a multiply-add counts as two. */
    long flops(Shape in, Shape out);

    /**
     * Multiply-accumulates per example of the layer's products (conv and dense), the figure
     * torchvision and papers call "GFLOPS" (ResNet-50: 4.09 G); 0 for element-wise layers.
     */
    default long macs(Shape in, Shape out) {
        return 0;
    }

    /**
     * The receptive field after this layer, per axis, from the one before: {@code field} holds
     * {rows, row jump, columns, column jump} in input pixels (the span one output position sees,
     * and the input distance between neighbouring positions); a window of span K and stride S
     * makes them r + (K - 1) j and j S (torch's dilation included in K). Element-wise layers keep it.
     */
    default double[] receptiveField(double[] field, Shape in) {
        return field;
    }

    /** The same for a window of the given span and stride, per axis. */
    static double[] window(double[] f, int spanH, int spanW, int strideH, int strideW) {
        return new double[] {f[0] + (spanH - 1) * f[1], f[1] * strideH, f[2] + (spanW - 1) * f[3], f[3] * strideW};
    }
}
