package dev.cnnc.cli;

import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The frozen part of a fine-tuning run: the layers, the trainable ranges of the parameter array
 * (what the optimizer updates), and the frozen prefix whose backward the network skips.
 */
record Frozen(List<String> layers, int[][] trainable, int prefix, long frozenParameters, long total, boolean batchNormEval) {

    /** Every layer up to and including {@code name}, refused naming {@code what} when the model has none of that name. */
    static List<String> through(CheckedModel model, String name, String what) throws Models.Stop {
        List<String> names = names(model);
        requireLayer(model, names, name, what);
        return names.subList(0, names.indexOf(name) + 1);
    }

    /** Exactly {@code chosen}, each refused naming {@code what} when the model has no layer of that name. */
    static List<String> only(CheckedModel model, List<String> chosen, String what) throws Models.Stop {
        List<String> names = names(model);
        for (String c : chosen) {
            requireLayer(model, names, c, what);
        }
        return List.copyOf(chosen);
    }

    private static void requireLayer(CheckedModel model, List<String> names, String name, String what) throws Models.Stop {
        if (!names.contains(name)) {
            throw new Models.Stop(Main.USAGE, what + " " + name + ": " + model.name() + " has no layer of that name (cnnc check lists them)");
        }
    }

    private static List<String> names(CheckedModel model) {
        return model.layers().stream().map(CheckedNode.Layer::name).toList();
    }

    static Frozen of(CheckedModel model, List<String> chosen, int total, boolean batchNormEval) throws Models.Stop {
        Set<String> layers = new HashSet<>(chosen);
        List<int[]> trainable = new ArrayList<>();
        long frozenCount = 0;
        int prefix = 0;
        boolean inPrefix = true;
        for (ParamLayout.Entry e : ParamLayout.of(model).entries()) {
            if (!e.trainable()) {
                continue;
            }
            if (layers.contains(e.layer())) {
                frozenCount += e.size();
                if (inPrefix) {
                    prefix = e.offset() + e.size();
                }
            } else {
                inPrefix = false;
                if (!trainable.isEmpty() && trainable.get(trainable.size() - 1)[1] == e.offset()) {
                    trainable.get(trainable.size() - 1)[1] = e.offset() + e.size();
                } else {
                    trainable.add(new int[] {e.offset(), e.offset() + e.size()});
                }
            }
        }
        if (frozenCount == 0) {
            throw new Models.Stop(Main.USAGE, "freeze " + String.join(", ", chosen) + ": those layers have no parameters to keep");
        }
        return new Frozen(chosen, trainable.toArray(int[][]::new), prefix, frozenCount, total, batchNormEval);
    }

    String describe() {
        String which = layers.size() > 6 ? String.join(", ", layers.subList(0, 3)) + ", ... " + layers.get(layers.size() - 1) + ": " + layers.size()
                + " layers" : String.join(", ", layers);
        String skipped = prefix == 0 ? "" : prefix == frozenParameters ? "; their backward is skipped"
                : "; the backward of the frozen layers before the first trained one is skipped";
        return String.format(Locale.ROOT, "freeze: %,d of %,d parameters (%s)%s%s", frozenParameters, total, which, skipped,
                batchNormEval ? "; their batchnorms in inference mode" : "");
    }
}
