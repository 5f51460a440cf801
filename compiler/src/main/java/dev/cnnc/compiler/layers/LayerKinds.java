package dev.cnnc.compiler.layers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The table of layer words. A new layer kind is a new record file plus one line here. */
public final class LayerKinds {
    public static final List<LayerKind> ALL = List.of(
            Conv.KIND, ConvTranspose.KIND,
            Pool.MAX, Pool.AVG, Pool.MIN,
            GlobalPool.AVG, GlobalPool.MAX,
            Flatten.KIND,
            Dense.KIND,
            BatchNorm.KIND,
            Dropout.KIND,
            Upsample.KIND,
            Shuffle.KIND, Split.KIND,
            Activation.RELU, Activation.LEAKYRELU, Activation.SIGMOID, Activation.TANH,
            Activation.RELU6, Activation.HARDSIGMOID, Activation.HARDSWISH, Activation.SILU, Activation.ELU, Activation.GELU, Dropout.STOCHASTIC_DEPTH, PRelu.KIND,
            Softmax.KIND);

    private static final Map<String, LayerKind> BY_WORD = new LinkedHashMap<>();

    static {
        for (LayerKind k : ALL) {
            BY_WORD.put(k.name(), k);
            for (String alias : k.aliases()) {
                BY_WORD.put(alias, k);
            }
        }
    }

    private LayerKinds() {
    }

    public static Optional<LayerKind> find(String word) {
        return Optional.ofNullable(BY_WORD.get(word));
    }

    /** Every layer word, aliases included (for suggestions and reserved names). */
    public static List<String> words() {
        return List.copyOf(BY_WORD.keySet());
    }
}
