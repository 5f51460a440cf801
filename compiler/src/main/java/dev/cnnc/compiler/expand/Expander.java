package dev.cnnc.compiler.expand;

import dev.cnnc.compiler.ast.BlockDef;
import dev.cnnc.compiler.ast.ModelFile;
import dev.cnnc.compiler.ast.Node;
import dev.cnnc.compiler.ast.Value;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.diag.Suggestions;
import dev.cnnc.compiler.layers.LayerKind;
import dev.cnnc.compiler.layers.LayerKinds;
import dev.cnnc.compiler.layers.LayerSpec;
import dev.cnnc.compiler.model.JoinKind;
import dev.cnnc.compiler.model.LayerNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Stage 2: inline block calls and unroll repeats, reading each statement against its layer
 * kind's signature. Recursion, runaway depth and runaway size are diagnostics, never a
 * StackOverflowError or an endless loop.
 */
public final class Expander {
    public static final int MAX_LAYERS = 100_000;
    public static final int MAX_CALL_DEPTH = 32;
    public static final int MAX_REPEAT = 10_000;

    private static final Set<String> KEYWORDS = Set.of("model", "input", "block", "repeat", "residual", "shortcut", "train");

    /** Thrown when the expansion passes {@link #MAX_LAYERS}; already reported. */
    private static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    private final Diagnostics diagnostics;
    private final Map<String, BlockDef> blocks = new LinkedHashMap<>();
    private final Set<String> usedBlocks = new HashSet<>();
    private final Set<String> reservedForParams = new HashSet<>();
    private int layerCount;

    private Expander(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
        for (LayerKind k : LayerKinds.ALL) {
            reservedForParams.addAll(k.signature().optionNames());
        }
        reservedForParams.addAll(List.of("same", "valid"));
    }

    public static List<LayerNode> expand(ModelFile file, Diagnostics diagnostics) {
        return new Expander(diagnostics).run(file);
    }

    private List<LayerNode> run(ModelFile file) {
        defineBlocks(file.blocks());
        List<LayerNode> out = new ArrayList<>();
        try {
            expandAll(file.layers(), Map.of(), new ArrayDeque<>(), null, out);
        } catch (TooLarge e) {
            return List.of();
        }
        // An unused block is worth a warning only in an otherwise clean file: after an error the
        // call that would have used it may simply not have been reached.
        for (BlockDef b : diagnostics.hasErrors() ? List.<BlockDef>of() : blocks.values()) {
            if (!usedBlocks.contains(b.name().text())) {
                diagnostics.at(b.name().span(), DiagnosticKind.UNUSED_BLOCK, b.name().text())
                        .hint("call it as " + b.name().text() + "(...) or remove it").report();
            }
        }
        return out;
    }

    private void defineBlocks(List<BlockDef> defs) {
        for (BlockDef b : defs) {
            String name = b.name().text();
            if (LayerKinds.find(name).isPresent() || KEYWORDS.contains(name)) {
                diagnostics.at(b.name().span(), DiagnosticKind.RESERVED_NAME, name, "block",
                        KEYWORDS.contains(name) ? "keyword" : "layer kind").hint("rename the block, e.g. my_" + name).report();
                continue;
            }
            BlockDef earlier = blocks.get(name);
            if (earlier != null) {
                diagnostics.at(b.name().span(), DiagnosticKind.DUPLICATE_BLOCK, name, earlier.span().line())
                        .hint("rename one of them").report();
                continue;
            }
            Set<String> seen = new HashSet<>();
            for (Value.Word p : b.params()) {
                if (!seen.add(p.text())) {
                    diagnostics.at(p.span(), DiagnosticKind.DUPLICATE_PARAMETER, name, p.text()).report();
                } else if (reservedForParams.contains(p.text()) || LayerKinds.find(p.text()).isPresent() || KEYWORDS.contains(p.text())) {
                    diagnostics.at(p.span(), DiagnosticKind.RESERVED_NAME, p.text(), "parameter",
                            reservedForParams.contains(p.text()) ? "word that layers use" : "layer kind or keyword")
                            .hint("rename the parameter, e.g. " + p.text() + "_").report();
                }
            }
            blocks.put(name, b);
        }
    }

    private void expandAll(List<Node> nodes, Map<String, Value> env, Deque<String> calls, String via, List<LayerNode> out) {
        for (Node n : nodes) {
            if (n instanceof Node.Statement s) {
                statement(s, env, via, out);
            } else if (n instanceof Node.Call c) {
                call(c, env, calls, via, out);
            } else if (n instanceof Node.Repeat r) {
                repeat(r, env, calls, via, out);
            } else if (n instanceof Node.Join j) {
                java.util.Optional<JoinKind> kind = JoinKind.find(j.kind().text());
                if (kind.isEmpty()) {
                    var d = diagnostics.at(j.kind().span(), DiagnosticKind.UNKNOWN_JOIN, j.kind().text());
                    Suggestions.closest(j.kind().text(), JoinKind.words()).ifPresentOrElse(near -> d.hint("did you mean " + near + "?"),
                            () -> d.hint("paths in braces join by one of: " + String.join(", ", JoinKind.words())));
                    d.report();
                    out.add(new LayerNode.Unreadable(j.span()));
                    continue;
                }
                List<List<LayerNode>> paths = new ArrayList<>();
                for (List<Node> path : j.paths()) {
                    List<LayerNode> expanded = new ArrayList<>();
                    expandAll(path, env, calls, via, expanded);
                    paths.add(expanded);
                }
                count(j.span());
                out.add(new LayerNode.Join(kind.get(), paths, j.pathSpans(), j.span()));
            } else if (n instanceof Node.Residual r) {
                List<LayerNode> main = new ArrayList<>();
                expandAll(r.main(), env, calls, via, main);
                List<LayerNode> shortcut = null;
                if (r.shortcut() != null) {
                    shortcut = new ArrayList<>();
                    expandAll(r.shortcut(), env, calls, via, shortcut);
                }
                count(r.span());
                out.add(new LayerNode.Residual(main, shortcut, r.span(), r.shortcutSpan()));
            }
        }
    }

    private void statement(Node.Statement s, Map<String, Value> env, String via, List<LayerNode> out) {
        String word = s.name().text();
        Optional<LayerKind> kind = LayerKinds.find(word);
        if (kind.isEmpty()) {
            if (blocks.containsKey(word)) {
                BlockDef b = blocks.get(word);
                diagnostics.at(s.name().span(), DiagnosticKind.BLOCK_WITHOUT_CALL, word,
                        word + "(" + String.join(", ", b.params().stream().map(Value.Word::text).toList()) + ")").report();
                out.add(new LayerNode.Unreadable(s.span()));
                return;
            }
            List<String> known = new ArrayList<>(LayerKinds.words());
            known.addAll(blocks.keySet());
            Diagnostics.Builder d = diagnostics.at(s.name().span(), DiagnosticKind.UNKNOWN_LAYER, word);
            Suggestions.closest(word, known).ifPresentOrElse(
                    near -> d.hint("did you mean " + near + "?"),
                    () -> d.hint("layers are: " + String.join(", ", LayerKinds.words())));
            d.report();
            out.add(new LayerNode.Unreadable(s.span()));
            return;
        }
        List<Value> args = substitute(s.args(), env);
        LayerSpec spec = kind.get().factory().apply(kind.get().signature().read(word, args, s.name().span(), diagnostics));
        count(s.span());
        out.add(spec != null ? new LayerNode.Layer(spec, s.span(), via) : new LayerNode.Unreadable(s.span()));
    }

    private void call(Node.Call c, Map<String, Value> env, Deque<String> calls, String via, List<LayerNode> out) {
        String name = c.name().text();
        BlockDef block = blocks.get(name);
        if (block == null) {
            if (LayerKinds.find(name).isPresent()) {
                diagnostics.at(c.name().span(), DiagnosticKind.LAYER_CALLED_LIKE_BLOCK, name)
                        .hint("usage: " + LayerKinds.find(name).get().signature().usage()).report();
            } else {
                Diagnostics.Builder d = diagnostics.at(c.name().span(), DiagnosticKind.UNKNOWN_BLOCK, name);
                Suggestions.closest(name, blocks.keySet()).ifPresentOrElse(
                        near -> d.hint("did you mean " + near + "?"),
                        () -> d.hint(blocks.isEmpty() ? "define it first: block " + name + "(...) { ... }"
                                : "blocks defined here: " + String.join(", ", blocks.keySet())));
                d.report();
            }
            out.add(new LayerNode.Unreadable(c.span()));
            return;
        }
        usedBlocks.add(name);
        if (c.args().size() != block.params().size()) {
            diagnostics.at(c.name().span(), DiagnosticKind.WRONG_ARGUMENT_COUNT, name, block.params().size(),
                    block.params().size() == 1 ? "" : "s", c.args().size())
                    .hint("block " + name + "(" + String.join(", ", block.params().stream().map(Value.Word::text).toList())
                            + ") is defined at line " + block.span().line()).report();
            out.add(new LayerNode.Unreadable(c.span()));
            return;
        }
        if (calls.contains(name)) {
            List<String> chain = new ArrayList<>(calls);
            java.util.Collections.reverse(chain);
            chain = new ArrayList<>(chain.subList(chain.indexOf(name), chain.size()));
            chain.add(name);
            diagnostics.at(c.name().span(), DiagnosticKind.RECURSIVE_BLOCK, name, String.join(" -> ", chain))
                    .hint("a block cannot contain itself; use 'repeat N { ... }' to stack layers").report();
            out.add(new LayerNode.Unreadable(c.span()));
            return;
        }
        if (calls.size() >= MAX_CALL_DEPTH) {
            diagnostics.report(c.name().span(), DiagnosticKind.BLOCKS_TOO_DEEP, MAX_CALL_DEPTH);
            out.add(new LayerNode.Unreadable(c.span()));
            return;
        }
        Map<String, Value> inner = new LinkedHashMap<>();
        List<Value> actual = substitute(c.args(), env);
        for (int i = 0; i < actual.size(); i++) {
            inner.put(block.params().get(i).text(), actual.get(i));
        }
        calls.push(name);
        String innerVia = "in block " + name + ", called at " + c.span().line() + ":" + c.span().column()
                + (via == null ? "" : " " + via);
        try {
            expandAll(block.body(), inner, calls, innerVia, out);
        } finally {
            calls.pop();
        }
    }

    private void repeat(Node.Repeat r, Map<String, Value> env, Deque<String> calls, String via, List<LayerNode> out) {
        Value count = substitute(List.of(r.count()), env).get(0);
        if (!(count instanceof Value.Num n) || !n.isWholeIn(1, MAX_REPEAT)) {
            diagnostics.at(count.span(), DiagnosticKind.BAD_REPEAT_COUNT, MAX_REPEAT, count.text()).report();
            out.add(new LayerNode.Unreadable(r.span()));
            return;
        }
        int times = n.value().intValueExact();
        for (int i = 0; i < times; i++) {
            int errorsBefore = diagnostics.errorCount();
            expandAll(r.body(), env, calls, via, out);
            if (diagnostics.errorCount() > errorsBefore || diagnostics.isFull()) {
                return; // the next rounds would only repeat the same errors
            }
        }
    }

    private List<Value> substitute(List<Value> values, Map<String, Value> env) {
        if (env.isEmpty()) {
            return values;
        }
        List<Value> out = new ArrayList<>(values.size());
        for (Value v : values) {
            out.add(v instanceof Value.Word w && env.containsKey(w.text()) ? env.get(w.text()) : v);
        }
        return out;
    }

    private void count(Span at) {
        if (++layerCount > MAX_LAYERS) {
            diagnostics.at(at, DiagnosticKind.TOO_MANY_LAYERS, MAX_LAYERS)
                    .hint("check the repeat counts; networks this large are beyond what cnnc compiles").report();
            throw new TooLarge();
        }
    }
}
