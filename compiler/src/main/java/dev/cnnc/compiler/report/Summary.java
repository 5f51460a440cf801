package dev.cnnc.compiler.report;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.Numbers;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The table {@code cnnc check} prints: one row per layer with its source line, output shape,
 * parameters, FLOPs and MACs (the multiply-accumulates of its products, the figure papers and
 * torchvision print as "GFLOPS"), then totals, ending with exactly the three parameter lines.
 */
public final class Summary {
    private record Row(String name, String line, String layer, String output, String params, String flops, String macs) {
    }

    private Summary() {
    }

    public static String render(CheckedModel model) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("input", "", "input", model.input().toString(), "0", "0", "0"));
        rows(model.nodes(), 0, rows);

        int[] w = {5, 4, 5, 6, 6, 5, 4};
        for (Row r : rows) {
            w[0] = Math.max(w[0], r.name.length());
            w[1] = Math.max(w[1], r.line.length());
            w[2] = Math.max(w[2], r.layer.length());
            w[3] = Math.max(w[3], r.output.length());
            w[4] = Math.max(w[4], r.params.length());
            w[5] = Math.max(w[5], r.flops.length());
            w[6] = Math.max(w[6], r.macs.length());
        }
        StringBuilder b = new StringBuilder();
        b.append("Model ").append(model.name()).append(" (").append(model.file()).append(")\n\n");
        String format = "%-" + w[0] + "s  %" + w[1] + "s  %-" + w[2] + "s  %-" + w[3] + "s  %" + w[4] + "s  %" + w[5] + "s  %" + w[6] + "s";
        String header = String.format(Locale.ROOT, format, "Name", "Line", "Layer", "Output", "Params", "FLOPs", "MACs");
        b.append(header.stripTrailing()).append('\n');
        b.append("-".repeat(header.length())).append('\n');
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, format, r.name, r.line, r.layer, r.output, r.params, r.flops, r.macs).stripTrailing()).append('\n');
        }
        b.append("-".repeat(header.length())).append('\n');
        b.append("Output: ").append(model.output()).append('\n');
        double[] field = receptiveField(model.nodes(), new double[] {1, 1, 1, 1});
        if (field[0] > 1 || field[2] > 1) {
            b.append("Receptive field: ").append(Math.round(field[0])).append('x').append(Math.round(field[2]))
                    .append(" input pixels for each position of the last HxW layer\n");
        }
        b.append("FLOPs per example (forward): ").append(n(model.flops())).append('\n');
        b.append("MACs per example (forward, conv and dense): ").append(n(macs(model))).append(" (").append(giga(macs(model)))
                .append(", the figure papers and torchvision call GFLOPS)\n");
        long bytes = model.activationElements() * 4;
        b.append("Activation memory per example: ").append(n(bytes)).append(" bytes (").append(mib(bytes)).append(")\n");
        if (model.train() != null) {
            b.append("Training: ").append(describe(model.train())).append('\n');
            int batch = model.train().batch() != null ? model.train().batch() : 32;
            // one thread's figure and what each further thread adds, so the summary is the same on every machine
            long one = MemoryEstimate.of(model, batch, 1, true).totalBytes();
            long more = MemoryEstimate.of(model, batch, 2, true).totalBytes() - one;
            b.append("Training memory (batch ").append(batch).append("): about ").append(MemoryEstimate.human(one))
                    .append(more > 0 ? " with one thread, " + MemoryEstimate.human(more) + " more a thread" : " with any number of threads")
                    .append(", besides the data set\n");
        }
        b.append('\n');
        b.append("Total params: ").append(n(model.totalParams())).append('\n');
        b.append("Trainable params: ").append(n(model.trainableParams())).append('\n');
        b.append("Non-trainable params: ").append(n(model.nonTrainableParams())).append('\n');
        return b.toString();
    }

    private static void rows(List<CheckedNode> nodes, int depth, List<Row> rows) {
        String indent = "  ".repeat(depth);
        for (CheckedNode node : nodes) {
            if (node instanceof CheckedNode.Layer l) {
                rows.add(new Row(indent + l.name(), Integer.toString(l.span().line()), indent + l.spec().describe(),
                        l.output().toString(), n(l.trainableParams() + l.nonTrainableParams()), n(l.flops()),
                        n(l.spec().macs(l.input(), l.output()))));
            } else if (node instanceof CheckedNode.Join j) {
                for (int p = 0; p < j.paths().size(); p++) {
                    rows.add(new Row(p == 0 ? indent + j.name() : "", p == 0 ? Integer.toString(j.span().line()) : "",
                            indent + (p == 0 ? j.kind().word() + " {" : "} {") + (j.paths().get(p).isEmpty() ? " (the input) " : ""), "", "", "", ""));
                    rows(j.paths().get(p), depth + 1, rows);
                }
                rows.add(new Row(indent + j.name(), "", indent + "} " + j.kind().word(), j.output().toString(), "0", n(j.flops()), "0"));
            } else if (node instanceof CheckedNode.Residual r) {
                rows.add(new Row(indent + r.name(), Integer.toString(r.span().line()), indent + "residual {", "", "", "", ""));
                rows(r.main(), depth + 1, rows);
                rows.add(new Row("", "", indent + (r.shortcut().isEmpty() ? "} (identity shortcut)" : "} shortcut {"), "", "", "", ""));
                if (!r.shortcut().isEmpty()) {
                    rows(r.shortcut(), depth + 1, rows);
                    rows.add(new Row("", "", indent + "}", "", "", "", ""));
                }
                rows.add(new Row(indent + r.name(), "", indent + "add", r.output().toString(), "0", n(r.addFlops()), "0"));
            }
        }
    }

    /**
     * The receptive field through the nodes (see {@link dev.cnnc.compiler.layers.LayerSpec#receptiveField}),
     * up to the first flat layer; a join or residual sees as far as its farthest-seeing path.
     */
    public static double[] receptiveField(List<CheckedNode> nodes, double[] field) {
        for (CheckedNode node : nodes) {
            if (node instanceof CheckedNode.Layer l) {
                if (l.input().flat()) {
                    return field;
                }
                field = l.spec().receptiveField(field, l.input());
            } else {
                List<List<CheckedNode>> paths = node instanceof CheckedNode.Join j ? j.paths()
                        : List.of(((CheckedNode.Residual) node).main(), ((CheckedNode.Residual) node).shortcut());
                double[] widest = field;
                for (List<CheckedNode> path : paths) {
                    double[] f = receptiveField(path, field);
                    widest = f[0] * f[2] > widest[0] * widest[2] ? f : widest;
                }
                field = widest;
            }
        }
        return field;
    }

    /** Multiply-accumulates of the model's products, per example. */
    public static long macs(CheckedModel model) {
        long total = 0;
        for (CheckedNode.Layer l : model.layers()) {
            total = Math.addExact(total, l.spec().macs(l.input(), l.output()));
        }
        return total;
    }

    private static String giga(long v) {
        return v >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f G", v / 1e9)
                : v >= 1_000_000L ? String.format(Locale.ROOT, "%.2f M", v / 1e6) : String.format(Locale.ROOT, "%.2f K", v / 1e3);
    }

    static String describe(TrainConfig t) {
        List<String> parts = new ArrayList<>();
        if (t.loss() != null) {
            parts.add("loss " + t.loss().kind().name().toLowerCase(Locale.ROOT));
        }
        if (t.optimizer() != null) {
            TrainConfig.Optimizer o = t.optimizer();
            parts.add(o.kind().name().toLowerCase(Locale.ROOT) + " lr " + Numbers.plain(o.lr())
                    + (o.momentum() > 0 ? " momentum " + Numbers.plain(o.momentum()) : "") + (o.nesterov() ? " nesterov" : ""));
        }
        if (t.batch() != null) {
            parts.add("batch " + t.batch());
        }
        if (t.epochs() != null) {
            parts.add(t.epochs() + " epoch" + (t.epochs() == 1 ? "" : "s"));
        }
        return String.join(", ", parts);
    }

    static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String mib(long bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1 << 20))
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    /** The output shape as a list, for JSON: [h, w, c] or [n]. */
    static List<Long> dims(Shape s) {
        return s.flat() ? List.of(s.channels()) : List.of(s.height(), s.width(), s.channels());
    }
}
