package dev.cnnc.onnx;

import java.util.List;
import java.util.Map;

/**
 * One line of an imported model: a layer ({@code text}, and its tensors by their cnnc suffix:
 * weight, bias, running_mean...), or a join of paths ({@code join} names it: residual, add,
 * concat, multiply).
 */
record ImportedLayer(String text, Map<String, OnnxGraph.Constant> tensors, String join, List<List<ImportedLayer>> paths) {
    static ImportedLayer layer(String text, Map<String, OnnxGraph.Constant> tensors) {
        return new ImportedLayer(text, tensors, null, List.of());
    }

    static ImportedLayer join(String join, List<List<ImportedLayer>> paths) {
        return new ImportedLayer(null, Map.of(), join, paths);
    }

    /** As .cnn text at {@code indent}. */
    void write(StringBuilder b, String indent) {
        if (join == null) {
            b.append(indent).append(text).append('\n');
            return;
        }
        b.append(indent).append(join.equals("residual") ? "residual" : join);
        for (int i = 0; i < paths.size(); i++) {
            if (join.equals("residual") && i == 1 && paths.get(1).isEmpty()) {
                break; // the identity shortcut goes unsaid
            }
            if (join.equals("residual") && i == 1) {
                b.append(" shortcut");
            }
            if (paths.get(i).isEmpty()) {
                b.append(" { }");
                continue;
            }
            b.append(" {\n");
            for (ImportedLayer l : paths.get(i)) {
                l.write(b, indent + "  ");
            }
            b.append(indent).append('}');
        }
        b.append('\n');
    }

    /** Every layer in the order cnnc numbers them: textual, paths in order. */
    void layers(List<ImportedLayer> out) {
        if (join == null) {
            out.add(this);
        }
        for (List<ImportedLayer> p : paths) {
            for (ImportedLayer l : p) {
                l.layers(out);
            }
        }
    }
}
