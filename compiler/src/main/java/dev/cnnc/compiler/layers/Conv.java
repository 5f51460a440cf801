package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Args;
import dev.cnnc.compiler.syntax.Padding;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code conv F KxK [stride S] [pad same|valid|P|T B L R] [groups G] [dilation D] [nobias]}: 2-D
 * convolution, as torch.nn.Conv2d. With groups, the input's channels and the filters split into G
 * groups, each filter reading only its group's C/G channels (depthwise when G = C); dilation
 * spaces the kernel's taps D apart, so a KxK kernel spans D(K-1)+1.
 */
public record Conv(int filters, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
                   Padding padding, boolean bias, int groups, int dilationHeight, int dilationWidth) implements LayerSpec {

    /** An ungrouped, undilated convolution. */
    public Conv(int filters, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, Padding padding, boolean bias) {
        this(filters, kernelHeight, kernelWidth, strideHeight, strideWidth, padding, bias, 1, 1, 1);
    }

    public static final LayerKind KIND = LayerKind.of("2-D convolution",
            Signature.of("conv")
                    .positional("filters", "F", ArgType.COUNT)
                    .positional("kernel", "KxK", ArgType.SIZE)
                    .option("stride", "S", ArgType.SIZE)
                    .listOption("pad", "same|valid|P|T B L R", ArgType.PADDING)
                    .option("groups", "G", ArgType.COUNT)
                    .option("dilation", "D", ArgType.SIZE)
                    .flag("nobias")
                    .build(),
            Conv::create);

    static LayerSpec create(Args a) {
        int[] k = a.size("kernel", 1);
        int[] s = a.size("stride", 1);
        Padding p = a.padding("pad", Padding.VALID);
        int[] d = a.size("dilation", 1);
        // what pad same pads is the span of the dilated kernel, as torch's padding='same'
        int spanH = d[0] * (k[0] - 1) + 1, spanW = d[1] * (k[1] - 1) + 1;
        if (p.mode() == Padding.Mode.SAME && (spanH % 2 == 0 || spanW % 2 == 0)) {
            a.error(a.spanOf("pad"), DiagnosticKind.EVEN_KERNEL_SAME_PADDING, "conv", Windows.size(k[0], k[1]))
                    .hint("give the padding explicitly, e.g. pad " + (k[0] / 2)
                            + " (PyTorch's padding='same' pads even kernels unevenly, which cnnc does not)")
                    .report();
        }
        return a.ok() ? new Conv(a.count("filters", 1), k[0], k[1], s[0], s[1], p, !a.flag("nobias"), a.count("groups", 1), d[0], d[1]) : null;
    }

    /** The padding above and left: {top, left}. */
    public int[] pad() {
        return padding.resolve(spanHeight(), spanWidth());
    }

    /** The padding on every side: {top, bottom, left, right}. */
    public int[] sides() {
        return padding.sides(spanHeight(), spanWidth());
    }

    /** The same conv without padding (it reads an input padded beforehand). */
    public Conv unpadded() {
        return new Conv(filters, kernelHeight, kernelWidth, strideHeight, strideWidth, Padding.VALID, bias, groups, dilationHeight, dilationWidth);
    }

    /** The rows the dilated kernel spans: D(K-1)+1. */
    public int spanHeight() {
        return dilationHeight * (kernelHeight - 1) + 1;
    }

    public int spanWidth() {
        return dilationWidth * (kernelWidth - 1) + 1;
    }

    public boolean dilated() {
        return dilationHeight != 1 || dilationWidth != 1;
    }

    /** Whether the conv is ungrouped and undilated: the im2col, Winograd and direct-window paths' case. */
    public boolean plain() {
        return groups == 1 && !dilated();
    }

    /** The input channels each filter reads (C/G). */
    public int channelsPerGroup(long inputChannels) {
        return (int) (inputChannels / groups);
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
        if (!padding.none()) {
            b.append(" pad ").append(padding);
        }
        if (groups != 1) {
            b.append(" groups ").append(groups);
        }
        if (dilated()) {
            b.append(" dilation ").append(Windows.size(dilationHeight, dilationWidth));
        }
        return b.append(bias ? "" : " nobias").toString();
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("convolutions work on HxWxC tensors; move conv before flatten or dense",
                    DiagnosticKind.NEEDS_SPATIAL_INPUT, "conv", in);
        }
        if (in.channels() % groups != 0 || filters % groups != 0) {
            return rules.fail(groupsHint(in.channels()), DiagnosticKind.GROUPS_DO_NOT_DIVIDE, describe(), in.channels(), filters, groups);
        }
        long[] hw = Windows.outputSize(in, describe(), new int[] {spanHeight(), spanWidth()},
                new int[] {strideHeight, strideWidth}, sides(), false, rules);
        return hw == null ? null : Shape.spatial(hw[0], hw[1], filters);
    }

    /** The group counts nearest G that split both the input channels and the filters. */
    private String groupsHint(long channels) {
        long below = 0, above = 0;
        for (long g = groups - 1; g >= 1 && below == 0; g--) {
            below = channels % g == 0 && filters % g == 0 ? g : 0;
        }
        long limit = Math.min(channels, filters);
        for (long g = groups + 1; g <= limit && above == 0; g++) {
            above = channels % g == 0 && filters % g == 0 ? g : 0;
        }
        String nearest = above == 0 ? "groups " + below : "groups " + below + " or groups " + above;
        String depthwise = channels == groups || channels == above || filters % channels != 0 ? ""
                : "; for a depthwise conv, groups " + channels + " (one group per input channel)";
        return "groups must divide both the " + channels + " input channels and the " + filters + " filters: nearest are " + nearest + depthwise;
    }

    @Override
    public double[] receptiveField(double[] field, Shape in) {
        return LayerSpec.window(field, spanHeight(), spanWidth(), strideHeight, strideWidth);
    }

    @Override
    public long trainableParams(Shape in) {
        long perFilter = Math.multiplyExact(Math.multiplyExact((long) kernelHeight, kernelWidth), in.channels() / groups);
        return Math.multiplyExact(perFilter + (bias ? 1 : 0), (long) filters);
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.addExact(Math.multiplyExact(2, macs(in, out)), bias ? out.elements() : 0);
    }

    @Override
    public long macs(Shape in, Shape out) {
        return Math.multiplyExact(out.elements(), Math.multiplyExact((long) kernelHeight * kernelWidth, in.channels() / groups));
    }
}
