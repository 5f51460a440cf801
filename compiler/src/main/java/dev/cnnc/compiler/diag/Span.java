package dev.cnnc.compiler.diag;

/**
 * A place in a source file: 1-based line and column, and the length of the text it covers.
 * Every AST node and every diagnostic carries one.
 */
public record Span(String file, int line, int column, int length) {
    public Span {
        if (line < 1 || column < 1 || length < 0) {
            throw new IllegalArgumentException("bad span " + line + ":" + column + "+" + length);
        }
    }

    /** A span for the whole file, for problems that have no better place (an empty file). */
    public static Span startOf(String file) {
        return new Span(file, 1, 1, 0);
    }

    public String position() {
        return file + ":" + line + ":" + column;
    }
}
