package dev.cnnc.compiler.diag;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where every stage reports problems. Stages keep going after reporting; only the caller
 * decides what an error means (the CLI turns it into exit code 1). Identical reports, as a
 * block called twice produces, are kept once. The count is capped so that a file of binary
 * garbage yields a readable screen of errors rather than millions.
 */
public final class Diagnostics {
    public static final int MAX_ERRORS = 50;

    private final Set<Diagnostic> diagnostics = new LinkedHashSet<>();
    private int errorCount;
    private boolean capped;

    /** Starts a diagnostic; call {@link Builder#report()} (or just let hint/note chain end in report). */
    public Builder at(Span span, DiagnosticKind kind, Object... args) {
        return new Builder(span, kind, kind.format(args));
    }

    /** Reports a diagnostic with no hint or notes. */
    public void report(Span span, DiagnosticKind kind, Object... args) {
        at(span, kind, args).report();
    }

    public boolean hasErrors() {
        return errorCount > 0;
    }

    public int errorCount() {
        return errorCount;
    }

    /** True once {@link #MAX_ERRORS} errors were reported; stages may stop early. */
    public boolean isFull() {
        return capped;
    }

    /** Every diagnostic in source order (stable: same place keeps report order); the too-many note last. */
    public List<Diagnostic> all() {
        List<Diagnostic> sorted = new ArrayList<>(diagnostics);
        sorted.sort(java.util.Comparator
                .comparing((Diagnostic d) -> d.kind() == DiagnosticKind.TOO_MANY_ERRORS)
                .thenComparingInt(d -> d.span().line())
                .thenComparingInt(d -> d.span().column()));
        return List.copyOf(sorted);
    }

    private void add(Diagnostic d) {
        if (capped && d.isError()) {
            return;
        }
        if (!diagnostics.add(d)) {
            return;
        }
        if (d.isError() && ++errorCount >= MAX_ERRORS) {
            capped = true;
            diagnostics.add(new Diagnostic(DiagnosticKind.TOO_MANY_ERRORS, d.span(),
                    DiagnosticKind.TOO_MANY_ERRORS.format(MAX_ERRORS), List.of(), null));
        }
    }

    public final class Builder {
        private final Span span;
        private final DiagnosticKind kind;
        private final String message;
        private final List<String> notes = new ArrayList<>();
        private String hint;

        private Builder(Span span, DiagnosticKind kind, String message) {
            this.span = span;
            this.kind = kind;
            this.message = message;
        }

        public Builder hint(String text) {
            this.hint = text;
            return this;
        }

        public Builder note(String text) {
            notes.add(text);
            return this;
        }

        public void report() {
            add(new Diagnostic(kind, span, message, notes, hint));
        }
    }
}
