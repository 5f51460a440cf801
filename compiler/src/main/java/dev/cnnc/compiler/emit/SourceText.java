package dev.cnnc.compiler.emit;

import java.nio.charset.StandardCharsets;

/**
 * Text from outside the compiler (a file's path, above all) made safe to put in generated Java
 * or OpenCL source. Java reads {@code \u000a} as a line break anywhere, comments included, and
 * {@code *}{@code /} ends a block comment, so a crafted file name could end a comment and inject
 * code. Every character outside a small safe set is written as %XX of its UTF-8 bytes, as in a URL:
 * the text stays readable, and nothing in it can mean anything to either language.
 */
public final class SourceText {
    private SourceText() {
    }

    /** {@code text} for a comment or Javadoc of Java or OpenCL C. */
    public static String comment(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (byte raw : text.getBytes(StandardCharsets.UTF_8)) {
            int c = raw & 0xff;
            if (safe(c)) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    private static boolean safe(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || " ._-+/:,=()[]#~".indexOf(c) >= 0;
    }
}
