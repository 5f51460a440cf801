package dev.cnnc.compiler.diag;

import java.util.List;

/**
 * One problem found in a source file. {@code notes} are extra lines printed under the caret
 * (a trail of shapes, a related place); {@code hint} says how to fix it, when we know.
 */
public record Diagnostic(DiagnosticKind kind, Span span, String message, List<String> notes, String hint) {
    public Diagnostic {
        notes = List.copyOf(notes);
    }

    public Severity severity() {
        return kind.severity();
    }

    public String code() {
        return kind.code();
    }

    public boolean isError() {
        return kind.severity() == Severity.ERROR;
    }
}
