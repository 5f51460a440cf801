package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/**
 * {@code shuffle G}: ShuffleNet's channel_shuffle(x, G): the channels seen as G groups of C/G,
 * transposed, so that output channel j * G + i is input channel i * (C/G) + j.
 */
public record Shuffle(int groups) implements ChannelMap {
    public static final LayerKind KIND = LayerKind.of("ShuffleNet's channel shuffle over G groups",
            Signature.of("shuffle").positional("groups", "G", ArgType.COUNT).build(),
            a -> a.ok() ? new Shuffle(a.count("groups", 2)) : null);

    @Override
    public String kind() {
        return "shuffle";
    }

    @Override
    public String describe() {
        return "shuffle " + groups;
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (in.flat()) {
            return rules.fail("channel shuffle works on HxWxC tensors; move it before flatten", DiagnosticKind.NEEDS_SPATIAL_INPUT, kind(), in);
        }
        if (in.channels() % groups != 0) {
            return rules.fail("use a group count that divides " + in.channels() + Split.divisors(in.channels(), groups),
                    DiagnosticKind.CHANNELS_DO_NOT_SPLIT, describe(), in.channels(), groups);
        }
        return in;
    }

    @Override
    public int[] sources(int channels) {
        int per = channels / groups;
        int[] s = new int[channels];
        for (int i = 0; i < groups; i++) {
            for (int j = 0; j < per; j++) {
                s[j * groups + i] = i * per + j;
            }
        }
        return s;
    }

    @Override
    public long flops(Shape in, Shape out) {
        return 0;
    }
}
