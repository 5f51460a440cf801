package dev.cnnc.compiler.model;

import dev.cnnc.compiler.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A model that passed every check: what later stages (lowering, emission, the reference
 * implementation) start from. {@code train} is null when the file has no train section.
 */
public record CheckedModel(String name, String file, Shape input, List<CheckedNode> nodes, TrainConfig train,
                           long trainableParams, long nonTrainableParams, long flops, long activationElements) {
    public CheckedModel {
        nodes = List.copyOf(nodes);
    }

    public Shape output() {
        return nodes.isEmpty() ? input : nodes.get(nodes.size() - 1).output();
    }

    public long totalParams() {
        return trainableParams + nonTrainableParams;
    }

    /** Every layer in order of appearance (main path before shortcut), residuals descended into. */
    public List<CheckedNode.Layer> layers() {
        return layersOf(nodes);
    }

    /** The layers of {@code nodes}, in order, inside joins and residuals too. */
    public static List<CheckedNode.Layer> layersOf(List<CheckedNode> nodes) {
        List<CheckedNode.Layer> out = new ArrayList<>();
        visit(nodes, out::add);
        return out;
    }

    private static void visit(List<CheckedNode> nodes, Consumer<CheckedNode.Layer> action) {
        for (CheckedNode n : nodes) {
            if (n instanceof CheckedNode.Layer l) {
                action.accept(l);
            } else if (n instanceof CheckedNode.Join j) {
                j.paths().forEach(p -> visit(p, action));
            } else if (n instanceof CheckedNode.Residual r) {
                visit(r.main(), action);
                visit(r.shortcut(), action);
            }
        }
    }
}
