package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Args;
import dev.cnnc.compiler.syntax.Padding;
import dev.cnnc.compiler.syntax.Signature;

/** {@code conv F KxK [stride S] [pad same|valid|P] [nobias]}: 2-D convolution, as torch.nn.Conv2d. */
public record Conv(int filters, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
                   Padding padding, boolean bias) implements LayerSpec {

    public static final LayerKind KIND = LayerKind.of("2-D convolution",
            Signature.of("conv")
                    .positional("filters", "F", ArgType.COUNT)
                    .positional("kernel", "KxK", ArgType.SIZE)
                    .option("stride", "S", ArgType.SIZE)
                    .option("pad", "same|valid|P", ArgType.PADDING)
                    .flag("nobias")
                    .build(),
            Conv::create);

    static LayerSpec create(Args a) {
        int[] k = a.size("kernel", 1);
        int[] s = a.size("stride", 1);
        Padding p = a.padding("pad", Padding.VALID);
        if (p.mode() == Padding.Mode.SAME && (k[0] % 2 == 0 || k[1] % 2 == 0)) {
            a.error(a.spanOf("pad"), DiagnosticKind.EVEN_KERNEL_SAME_PADDING, "conv", Windows.size(k[0], k[1]))
                    .hint("give the padding explicitly, e.g. pad " + (k[0] / 2)
                            + " (PyTorch's padding='same' pads even kernels unevenly, which cnnc does not)")
                    .report();
        }
        return a.ok() ? new Conv(a.count("filters", 1), k[0], k[1], s[0], s[1], p, !a.flag("nobias")) : null;
    }

    public int[] pad() {
        return padding.resolve(kernelHeight, kernelWidth);
    }

    @Override
    public String kind() {
        return "conv";
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder("conv ").append(filters).append(' ').append(kernelHeight).append('x').append(kernelWidth);
        if (strideHeight != 1 || strideWidth != 1) {
            b.append(" stride ").append(Windows.size(strideHeight, strideWidth));
        }
        if (padding.mode() != Padding.Mode.VALID) {
            b.append(" pad ").append(padding);
        }
        return b.append(bias ? "" : " nobias").toString();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("convolutions work on HxWxC tensors; move conv before flatten or dense",
                    DiagnosticKind.NEEDS_SPATIAL_INPUT, "conv", in);
        }
        long[] hw = Windows.outputSize(in, describe(), new int[] {kernelHeight, kernelWidth},
                new int[] {strideHeight, strideWidth}, pad(), rules);
        return hw == null ? null : Shape.spatial(hw[0], hw[1], filters);
    }

    @Override
    public long trainableParams(Shape in) {
        long perFilter = Math.multiplyExact(Math.multiplyExact((long) kernelHeight, kernelWidth), in.channels());
        return Math.multiplyExact(perFilter + (bias ? 1 : 0), (long) filters);
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.addExact(Math.multiplyExact(2, macs(in, out)), bias ? out.elements() : 0);
    }

    @Override
    public long macs(Shape in, Shape out) {
        return Math.multiplyExact(out.elements(), Math.multiplyExact((long) kernelHeight * kernelWidth, in.channels()));
    }
}
