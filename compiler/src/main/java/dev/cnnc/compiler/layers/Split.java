package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code split N take I}: part I (from 0) of the channels cut into N equal parts, as
 * {@code x.chunk(N, dim=1)[I]}; in a join's paths it gives ShuffleNet v2's channel split.
 */
public record Split(int parts, int take) implements ChannelMap {
    public static final LayerKind KIND = LayerKind.of("part I of the channels cut into N equal parts",
            Signature.of("split").positional("parts", "N", ArgType.COUNT).option("take", "I", ArgType.NATURAL).build(),
            Split::create);

    static LayerSpec create(dev.cnnc.compiler.syntax.Args a) {
        int parts = a.count("parts", 2);
        int take = a.count("take", 0);
        if (a.ok() && take >= parts) {
            a.error(a.spanOf("take"), DiagnosticKind.OUT_OF_RANGE, "split", "take", "from 0 to " + (parts - 1), take)
                    .hint("parts are numbered from 0: take 0 is the first of the " + parts).report();
        }
        return a.ok() ? new Split(parts, take) : null;
    }

    @Override
    public String kind() {
        return "split";
    }

    @Override
    public String describe() {
        return "split " + parts + " take " + take;
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("split works on HxWxC tensors; move it before flatten", DiagnosticKind.NEEDS_SPATIAL_INPUT, kind(), in);
        }
        if (in.channels() % parts != 0) {
            return rules.fail("use a part count that divides " + in.channels() + divisors(in.channels(), parts),
                    DiagnosticKind.CHANNELS_DO_NOT_SPLIT, describe(), in.channels(), parts);
        }
        return Shape.spatial(in.height(), in.width(), in.channels() / parts);
    }

    /** ": nearest are A or B", the divisors of {@code channels} either side of {@code wanted}. */
    static String divisors(long channels, int wanted) {
        long below = 1, above = 0;
        for (long g = wanted - 1; g > 1; g--) {
            if (channels % g == 0) {
                below = g;
                break;
            }
        }
        for (long g = wanted + 1; g <= channels; g++) {
            if (channels % g == 0) {
                above = g;
                break;
            }
        }
        return ": nearest are " + below + (above == 0 ? "" : " or " + above);
    }

    @Override
    public int[] sources(int channels) {
        int per = channels / parts;
        int[] s = new int[per];
        for (int o = 0; o < per; o++) {
            s[o] = take * per + o;
        }
        return s;
    }

    @Override
    public long flops(Shape in, Shape out) {
        return 0;
    }
}
