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

    public Padding padding(String name, Padding orElse) {
        return values.containsKey(name) ? (Padding) values.get(name) : orElse;
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
