package dev.cnnc.onnx;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;

/**
 * An ONNX model (as torch.onnx.export writes one, opsets 11 to 17) as a .cnn model and its
 * weights under cnnc's names. The graph must be a nest of branches, as CNNs are: every fork of a
 * value ends in the one node that joins its paths (Add, Sum, Concat or Mul). DenseNet's
 * concatenations of every earlier output are rewritten first as a chain of two-way ones.
 */
public final class OnnxImport {
    /** What was made: the .cnn text, the checked model, and its tensors by cnnc's names. */
    public record Result(String cnn, CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors) {
    }

    /** Nodes cnnc cannot express, every one of them. */
    public static final class Unsupported extends Exception {
        private final List<String> problems;

        Unsupported(List<String> problems) {
            super(problems.size() + (problems.size() == 1 ? " node" : " nodes") + " cnnc cannot express:\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    private final OnnxGraph g;
    private final Map<NodeProto, List<String>> inputs = new HashMap<>();
    private final Map<String, String> idom = new HashMap<>();
    private final Map<String, Integer> depth = new HashMap<>();
    private final Map<NodeProto, ImportedLayer> layers = new HashMap<>();
    private final Set<NodeProto> emitted = new HashSet<>();

    private OnnxImport(OnnxGraph g) {
        this.g = g;
    }

    public static Result read(byte[] bytes, String name, String source) throws Unsupported, com.google.protobuf.InvalidProtocolBufferException {
        ModelProto m = ModelProto.parseFrom(bytes);
        OnnxImport im = new OnnxImport(new OnnxGraph(m.getGraph()));
        return im.convert(name, source);
    }

    private Result convert(String name, String source) throws Unsupported {
        List<String> problems = new ArrayList<>();
        if (g.input == null || !(g.inputDims.size() == 2 || g.inputDims.size() == 4) || g.inputDims.subList(1, g.inputDims.size()).contains(-1L)) {
            problems.add("graph input " + g.input + ": cnnc reads [batch, C, H, W] or [batch, N] with fixed sizes, this one is " + g.inputDims);
        }
        chainConcats();
        for (NodeProto n : g.nodes) {
            try {
                layers.put(n, OnnxLayers.layer(n, g));
            } catch (OnnxLayers.Refused r) {
                problems.add("node " + n.getName() + " (" + n.getOpType() + "): " + r.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new Unsupported(problems);
        }
        dominators();
        List<ImportedLayer> body;
        try {
            body = emit(g.output, g.input);
        } catch (OnnxLayers.Refused r) {
            throw new Unsupported(List.of(r.getMessage()));
        }
        List<String> skipped = new ArrayList<>();
        for (NodeProto n : g.nodes) {
            if (!emitted.contains(n)) {
                skipped.add("node " + n.getName() + " (" + n.getOpType() + "): its output is not on the way to the graph's output, or leaves its branch");
            }
        }
        if (!skipped.isEmpty()) {
            throw new Unsupported(skipped);
        }
        StringBuilder text = new StringBuilder("# imported from " + source + " by cnnc import\nmodel " + name + "\n");
        List<Long> d = g.inputDims;
        text.append("input ").append(d.size() == 2 ? Long.toString(d.get(1)) : d.get(2) + "x" + d.get(3) + "x" + d.get(1)).append("\n\n");
        for (ImportedLayer l : body) {
            l.write(text, "");
        }
        return check(text.toString(), body, source);
    }

    /** The text checked as cnnc checks any file, and each layer's tensors named after the layer cnnc made of it. */
    private static Result check(String text, List<ImportedLayer> body, String source) throws Unsupported {
        CheckResult r = Frontend.check(new SourceFile(source + ".cnn", text));
        if (r.model() == null) {
            throw new Unsupported(List.of("the model written does not check (a cnnc import bug; please report it):\n" + text + "\n" + r.diagnostics()));
        }
        List<ImportedLayer> flat = new ArrayList<>();
        body.forEach(l -> l.layers(flat));
        List<CheckedNode.Layer> checked = r.model().layers();
        Map<String, Map.Entry<int[], float[]>> tensors = new LinkedHashMap<>();
        for (int i = 0; i < flat.size(); i++) {
            for (Map.Entry<String, OnnxGraph.Constant> t : flat.get(i).tensors().entrySet()) {
                long[] dims = t.getValue().dims();
                int[] shape = new int[dims.length];
                for (int k = 0; k < dims.length; k++) {
                    shape[k] = (int) dims[k];
                }
                tensors.put(checked.get(i).name() + "." + t.getKey(), Map.entry(shape, t.getValue().floats()));
            }
        }
        return new Result(text, r.model(), tensors);
    }

    /**
     * Concat nodes with the same inputs made one, and a Concat whose inputs begin with another's
     * (DenseNet: cat(x0, f1, f2) beside cat(x0, f1)) rewritten to take that one's output instead:
     * then every concatenation joins branches of one fork.
     */
    private void chainConcats() {
        Map<List<String>, String> seen = new HashMap<>();
        List<NodeProto> concats = new ArrayList<>();
        for (NodeProto n : new ArrayList<>(g.nodes)) {
            if (!n.getOpType().equals("Concat")) {
                continue;
            }
            List<String> in = g.dataInputs(n);
            if (seen.containsKey(in)) {
                g.alias.put(n.getOutput(0), seen.get(in));
                g.nodes.remove(n);
                continue;
            }
            seen.put(in, n.getOutput(0));
            concats.add(n);
        }
        for (NodeProto n : concats) {
            List<String> in = g.dataInputs(n);
            List<String> best = null;
            for (Map.Entry<List<String>, String> e : seen.entrySet()) {
                List<String> p = e.getKey();
                if (p.size() >= 2 && p.size() < in.size() && in.subList(0, p.size()).equals(p) && (best == null || p.size() > best.size())) {
                    best = p;
                }
            }
            if (best != null) {
                List<String> chained = new ArrayList<>();
                chained.add(seen.get(best));
                chained.addAll(in.subList(best.size(), in.size()));
                inputs.put(n, chained);
            }
        }
    }

    private List<String> in(NodeProto n) {
        List<String> o = inputs.get(n);
        return o != null ? o : g.dataInputs(n);
    }

    /** Each value's immediate dominator from the graph input: where the branches that reach it fork. */
    private void dominators() {
        depth.put(g.input, 0);
        for (NodeProto n : g.nodes) {
            List<String> ins = in(n);
            String d = ins.isEmpty() ? g.input : ins.get(0);
            for (String i : ins.subList(Math.min(1, ins.size()), ins.size())) {
                d = common(d, i);
            }
            String out = n.getOutput(0);
            idom.put(out, d);
            depth.put(out, depth.getOrDefault(d, 0) + 1);
        }
    }

    private String common(String a, String b) {
        while (!a.equals(b)) {
            if (depth.getOrDefault(a, 0) >= depth.getOrDefault(b, 0)) {
                a = idom.getOrDefault(a, g.input);
            } else {
                b = idom.getOrDefault(b, g.input);
            }
            if (a == null || b == null) {
                return g.input;
            }
        }
        return a;
    }

    /** The layers that compute value {@code to} from value {@code from}. */
    private List<ImportedLayer> emit(String to, String from) throws OnnxLayers.Refused {
        List<ImportedLayer> out = new ArrayList<>();
        emitInto(to, from, out);
        return out;
    }

    private void emitInto(String to, String from, List<ImportedLayer> out) throws OnnxLayers.Refused {
        if (to.equals(from)) {
            return;
        }
        NodeProto n = g.producer.get(to);
        if (n == null) {
            throw new OnnxLayers.Refused("value " + to + " is reached without passing " + from + ": the graph is not a nest of branches");
        }
        if (!emitted.add(n)) {
            throw new OnnxLayers.Refused("node " + n.getName() + " (" + n.getOpType() + ") feeds two branches that join later: cnnc would compute it twice");
        }
        ImportedLayer layer = layers.get(n);
        List<String> ins = in(n);
        if (layer.join() == null) {
            emitInto(ins.get(0), from, out);
            out.add(layer);
            return;
        }
        String fork = idom.get(to);
        emitInto(fork, from, out);
        List<List<ImportedLayer>> paths = new ArrayList<>();
        for (String i : ins) {
            paths.add(emit(i, fork));
        }
        if (layer.join().equals("add") && paths.size() == 2) {
            if (paths.get(0).isEmpty()) {
                paths = List.of(paths.get(1), paths.get(0));
            }
            out.add(ImportedLayer.join("residual", paths));
        } else {
            out.add(ImportedLayer.join(layer.join(), paths));
        }
    }
}
