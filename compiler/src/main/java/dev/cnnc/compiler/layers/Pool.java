package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Args;
import dev.cnnc.compiler.syntax.Padding;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code maxpool|avgpool|minpool K [stride S] [pad P|T B L R] [ceil]}: window pooling, as
 * torch.nn.MaxPool2d and AvgPool2d. Max and min pooling ignore padding (as -inf/+inf would);
 * average pooling counts it (PyTorch's default count_include_pad) but not the part of a ceil-mode
 * window that hangs past the padding, as PyTorch divides. Min pooling is max pooling of the
 * negated input.
 */
public record Pool(Op op, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, Padding padding, boolean ceil)
        implements LayerSpec {

    public Pool(Op op, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, Padding padding) {
        this(op, kernelHeight, kernelWidth, strideHeight, strideWidth, padding, false);
    }

    public enum Op { MAX, AVG, MIN }

    public static final LayerKind MAX = kind(Op.MAX, "max pooling");
    public static final LayerKind AVG = kind(Op.AVG, "average pooling");
    public static final LayerKind MIN = kind(Op.MIN, "min pooling");

    private static LayerKind kind(Op op, String summary) {
        String word = op.name().toLowerCase(java.util.Locale.ROOT) + "pool";
        return LayerKind.of(summary,
                Signature.of(word)
                        .positional("window", "K", ArgType.SIZE)
                        .option("stride", "S", ArgType.SIZE)
                        .listOption("pad", "P|T B L R", ArgType.PADDING)
                        .flag("ceil")
                        .build(),
                a -> create(op, word, a));
    }

    private static LayerSpec create(Op op, String word, Args a) {
        int[] k = a.size("window", 1);
        int[] s = a.has("stride") ? a.size("stride", 1) : k.clone(); // PyTorch: stride defaults to the window
        Padding p = a.padding("pad", Padding.VALID);
        if (p.mode() == Padding.Mode.SAME && (k[0] % 2 == 0 || k[1] % 2 == 0)) {
            a.error(a.spanOf("pad"), DiagnosticKind.EVEN_KERNEL_SAME_PADDING, word, Windows.size(k[0], k[1]))
                    .hint("give the padding explicitly, e.g. pad " + (k[0] / 2)).report();
        } else {
            int[] pad = p.sides(k[0], k[1]);
            if (Math.max(pad[0], pad[1]) > k[0] / 2 || Math.max(pad[2], pad[3]) > k[1] / 2) {
                a.error(a.spanOf("pad"), DiagnosticKind.PADDING_TOO_LARGE, word, p, Windows.size(k[0], k[1]))
                        .hint("PyTorch refuses such padding too; use pad " + Windows.size(k[0] / 2, k[1] / 2) + " or less")
                        .report();
            }
        }
        return a.ok() ? new Pool(op, k[0], k[1], s[0], s[1], p, a.flag("ceil")) : null;
    }

    @Override
    public double[] receptiveField(double[] field, Shape in) {
        return LayerSpec.window(field, kernelHeight, kernelWidth, strideHeight, strideWidth);
    }

    /** The padding above and left: {top, left}. */
    public int[] pad() {
        return padding.resolve(kernelHeight, kernelWidth);
    }

    /** The padding on every side: {top, bottom, left, right}. */
    public int[] sides() {
        return padding.sides(kernelHeight, kernelWidth);
    }

    /** Whether the pool is torch's default kind: same padding on both sides of an axis, floor mode. */
    public boolean plain() {
        return padding.symmetric() && !ceil;
    }

    @Override
    public String kind() {
        return op.name().toLowerCase(java.util.Locale.ROOT) + "pool";
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder(kind()).append(' ').append(Windows.size(kernelHeight, kernelWidth));
        if (strideHeight != kernelHeight || strideWidth != kernelWidth) {
            b.append(" stride ").append(Windows.size(strideHeight, strideWidth));
        }
        if (!padding.none()) {
            b.append(" pad ").append(padding);
        }
        return b.append(ceil ? " ceil" : "").toString();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("pooling works on HxWxC tensors; move it before flatten or dense",
                    DiagnosticKind.NEEDS_SPATIAL_INPUT, kind(), in);
        }
        long[] hw = Windows.outputSize(in, describe(), new int[] {kernelHeight, kernelWidth},
                new int[] {strideHeight, strideWidth}, sides(), ceil, rules);
        return hw == null ? null : Shape.spatial(hw[0], hw[1], in.channels());
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.multiplyExact(out.elements(), (long) kernelHeight * kernelWidth);
    }
}
