package dev.cnnc.compiler.diag;

/**
 * The one format every diagnostic is printed in:
 * <pre>
 * file:line:col: error: message [CODE]
 *     the source line
 *     ^
 *   notes
 *   hint: how to fix it
 * </pre>
 */
public final class DiagnosticRenderer {
    private static final int MAX_SHOWN_LINE = 160;

    private DiagnosticRenderer() {
    }

    public static String render(Diagnostic d, SourceFile source) {
        StringBuilder out = new StringBuilder();
        out.append(d.span().position()).append(": ").append(d.severity().label()).append(": ")
                .append(d.message()).append(" [").append(d.code()).append("]\n");
        String line = source == null ? "" : source.line(d.span().line());
        if (!line.isEmpty()) {
            int column = d.span().column() - 1;
            int from = 0;
            // Show a window of very long lines around the column.
            if (line.length() > MAX_SHOWN_LINE) {
                from = Math.max(0, Math.min(column - MAX_SHOWN_LINE / 2, line.length() - MAX_SHOWN_LINE));
                line = line.substring(from, Math.min(line.length(), from + MAX_SHOWN_LINE));
            }
            String shown = printable(line);
            out.append("    ").append(shown).append('\n');
            StringBuilder caret = new StringBuilder("    ");
            for (int i = 0; i < column - from && i < shown.length(); i++) {
                caret.append(shown.charAt(i) == '\t' ? '\t' : ' ');
            }
            out.append(caret).append("^\n");
        }
        for (String note : d.notes()) {
            out.append("  ").append(note).append('\n');
        }
        if (d.hint() != null) {
            out.append("  hint: ").append(d.hint()).append('\n');
        }
        return out.toString();
    }

    /** Control characters would garble a terminal; show them as '?' (one column each, so carets stay aligned). */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c == '\t' || (c >= 0x20 && c != 0x7f && !Character.isISOControl(c) && c != '\uFFFD') ? c : '?');
        }
        return b.toString();
    }

    /** How a character is named in a message: 'x', or U+0000 for ones that do not print. */
    public static String describeChar(String text) {
        if (text.isEmpty()) {
            return "''";
        }
        int cp = text.codePointAt(0);
        if (cp < 0x20 || cp == 0x7f || cp == 0xFFFD || Character.isISOControl(cp)) {
            return String.format(java.util.Locale.ROOT, "U+%04X", cp);
        }
        return "'" + new String(Character.toChars(cp)) + "'";
    }
}
