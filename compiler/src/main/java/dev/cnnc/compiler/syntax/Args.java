package dev.cnnc.compiler.syntax;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The values a statement gave, read by a {@link Signature}; {@link #ok()} is false after any problem. */
public final class Args {
    private final String shownAs;
    private final Span span;
    private final Diagnostics diagnostics;
    private final Map<String, Object> values = new HashMap<>();
    private final Map<String, Span> spans = new HashMap<>();
    private boolean ok = true;

    Args(String shownAs, Span span, Diagnostics diagnostics) {
        this.shownAs = shownAs;
        this.span = span;
        this.diagnostics = diagnostics;
    }

    void put(String name, Object value) {
        values.put(name, value);
    }

    void putSpan(String name, Span at) {
        spans.put(name, at);
    }

    void fail() {
        ok = false;
    }

    public boolean ok() {
        return ok;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Span span() {
        return span;
    }

    /** Where a value was written, or the statement's span. */
    public Span spanOf(String name) {
        return spans.getOrDefault(name, span);
    }

    public int count(String name, int orElse) {
        return values.containsKey(name) ? (Integer) values.get(name) : orElse;
    }

    public long longValue(String name, long orElse) {
        return values.containsKey(name) ? (Long) values.get(name) : orElse;
    }

    public double real(String name, double orElse) {
        return values.containsKey(name) ? (Double) values.get(name) : orElse;
    }

    public int[] size(String name, int orElse) {
        return values.containsKey(name) ? ((int[]) values.get(name)).clone() : new int[] {orElse, orElse};
    }

    /**
     * A padding option: one value (same, valid, P or HxW) or, for a list option, four plain
     * numbers, top bottom left right. Anything else is reported here, and gives {@code orElse}.
     */
    public Padding padding(String name, Padding orElse) {
        Object v = values.get(name);
        if (v == null) {
            return orElse;
        }
        if (v instanceof Padding p) {
            return p;
        }
        List<?> items = (List<?>) v;
        if (items.size() == 1) {
            return (Padding) items.get(0);
        }
        if (items.size() == 4 && items.stream().allMatch(i -> i instanceof Padding p && p.mode() == Padding.Mode.EXPLICIT
                && p.top() == p.left())) {
            int[] s = items.stream().mapToInt(i -> ((Padding) i).top()).toArray();
            return Padding.sides(s[0], s[1], s[2], s[3]);
        }
        error(spanOf(name), DiagnosticKind.BAD_ARGUMENT, shownAs, name,
                "one value (same, valid, P or HxW) or four numbers (top bottom left right)",
                String.join(" ", items.stream().map(String::valueOf).toList()))
                .hint("e.g. pad 1, pad 1x2, or pad 0 1 0 1 for one more row below and column to the right").report();
        return orElse;
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    @SuppressWarnings("unchecked")
    public List<Double> reals(String name) {
        return values.containsKey(name) ? (List<Double>) values.get(name) : List.of();
    }

    /** Reports a problem with this statement's values (for rules a signature cannot express). */
    public Diagnostics.Builder error(Span at, DiagnosticKind kind, Object... formatArgs) {
        ok = false;
        return diagnostics.at(at, kind, formatArgs);
    }

    public String shownAs() {
        return shownAs;
    }
}
