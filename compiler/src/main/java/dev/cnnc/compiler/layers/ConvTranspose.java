package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Args;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code convtranspose F KxK [stride S] [pad P] [outpad P] [groups G] [dilation D] [nobias]}: a
 * transposed convolution as torch.nn.ConvTranspose2d, the adjoint of a conv (each input value
 * spreads a KxK window over the output, S apart): output (H - 1) S - 2P + D(K - 1) + outpad + 1
 * a side. Its weight is [C][F/G][K][K], torch's layout.
 */
public record ConvTranspose(int filters, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth,
                            int outPadHeight, int outPadWidth, int groups, int dilationHeight, int dilationWidth, boolean bias)
        implements LayerSpec {

    public static final LayerKind KIND = LayerKind.of("transposed convolution (torch.nn.ConvTranspose2d)",
            Signature.of("convtranspose")
                    .positional("filters", "F", ArgType.COUNT)
                    .positional("kernel", "KxK", ArgType.SIZE)
                    .option("stride", "S", ArgType.SIZE)
                    .option("pad", "P", ArgType.PADDING)
                    .option("outpad", "P", ArgType.PADDING)
                    .option("groups", "G", ArgType.COUNT)
                    .option("dilation", "D", ArgType.SIZE)
                    .flag("nobias")
                    .build(),
            ConvTranspose::create);

    static LayerSpec create(Args a) {
        int[] k = a.size("kernel", 1);
        int[] s = a.size("stride", 1);
        int[] p = explicit(a, "pad");
        int[] o = explicit(a, "outpad");
        int[] d = a.size("dilation", 1);
        if (a.has("outpad") && (o[0] >= Math.max(s[0], d[0]) || o[1] >= Math.max(s[1], d[1]))) {
            a.error(a.spanOf("outpad"), DiagnosticKind.OUT_OF_RANGE, "convtranspose", "outpad", "below the stride or the dilation",
                    Windows.size(o[0], o[1])).hint("torch's output_padding must be smaller than the stride or the dilation").report();
        }
        return a.ok() ? new ConvTranspose(a.count("filters", 1), k[0], k[1], s[0], s[1], p[0], p[1], o[0], o[1], a.count("groups", 1), d[0], d[1],
                !a.flag("nobias")) : null;
    }

    /** An amount per axis: a number, NxM, or valid (0); same has no meaning for a transposed conv (torch refuses it too). */
    private static int[] explicit(Args a, String name) {
        dev.cnnc.compiler.syntax.Padding p = a.padding(name, dev.cnnc.compiler.syntax.Padding.VALID);
        if (p.mode() == dev.cnnc.compiler.syntax.Padding.Mode.SAME) {
            a.error(a.spanOf(name), DiagnosticKind.BAD_ARGUMENT, "convtranspose", name, "a number such as 1 or 1x2", "same")
                    .hint("give the amount: a transposed conv's output size is (H - 1) S - 2P + D(K - 1) + outpad + 1").report();
            return new int[] {0, 0};
        }
        return p.resolve(1, 1);
    }

    public int spanHeight() {
        return dilationHeight * (kernelHeight - 1) + 1;
    }

    public int spanWidth() {
        return dilationWidth * (kernelWidth - 1) + 1;
    }

    @Override
    public String kind() {
        return "convtranspose";
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder("convtranspose ").append(filters).append(' ').append(kernelHeight).append('x').append(kernelWidth);
        if (strideHeight != 1 || strideWidth != 1) {
            b.append(" stride ").append(Windows.size(strideHeight, strideWidth));
        }
        if (padHeight != 0 || padWidth != 0) {
            b.append(" pad ").append(Windows.size(padHeight, padWidth));
        }
        if (outPadHeight != 0 || outPadWidth != 0) {
            b.append(" outpad ").append(Windows.size(outPadHeight, outPadWidth));
        }
        if (groups != 1) {
            b.append(" groups ").append(groups);
        }
        if (dilationHeight != 1 || dilationWidth != 1) {
            b.append(" dilation ").append(Windows.size(dilationHeight, dilationWidth));
        }
        return b.append(bias ? "" : " nobias").toString();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("transposed convolutions work on HxWxC tensors; move it before flatten or dense", DiagnosticKind.NEEDS_SPATIAL_INPUT,
                    kind(), in);
        }
        if (in.channels() % groups != 0 || filters % groups != 0) {
            return rules.fail("groups must divide both the " + in.channels() + " input channels and the " + filters + " filters",
                    DiagnosticKind.GROUPS_DO_NOT_DIVIDE, describe(), in.channels(), filters, groups);
        }
        long h = (in.height() - 1) * strideHeight - 2L * padHeight + spanHeight() + outPadHeight;
        long w = (in.width() - 1) * strideWidth - 2L * padWidth + spanWidth() + outPadWidth;
        if (h < 1 || w < 1) {
            return rules.fail("use less padding", DiagnosticKind.INPUT_TOO_SMALL, describe(), "an input that the padding leaves room in", in);
        }
        return Shape.spatial(h, w, filters);
    }

    @Override
    public long trainableParams(Shape in) {
        long weights = Math.multiplyExact(Math.multiplyExact(in.channels(), (long) filters / groups), (long) kernelHeight * kernelWidth);
        return weights + (bias ? filters : 0);
    }

    @Override
    public long macs(Shape in, Shape out) {
        return Math.multiplyExact(in.elements(), (long) filters / groups * kernelHeight * kernelWidth);
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.addExact(Math.multiplyExact(2, macs(in, out)), bias ? out.elements() : 0);
    }

    /** The conv whose input gradient this is: it maps the output's shape back to the input's. */
    @Override
    public double[] receptiveField(double[] field, Shape in) {
        // each output position reads the inputs within its span, 1/S apart
        double[] f = LayerSpec.window(field, (spanHeight() + strideHeight - 1) / strideHeight, (spanWidth() + strideWidth - 1) / strideWidth, 1, 1);
        return new double[] {f[0], f[1] / strideHeight, f[2], f[3] / strideWidth};
    }
}
