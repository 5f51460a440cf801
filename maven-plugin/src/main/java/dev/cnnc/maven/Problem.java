package dev.cnnc.maven;

import java.nio.file.Path;

/**
 * One thing wrong (or worth a warning) in a .cnn file. {@code line} and {@code column} are
 * 1-based; {@code rendered} is cnnc's full report with the source line, caret and hint.
 */
record Problem(Path file, String shownFile, int line, int column, String message, boolean error, String rendered) {
    /** The one-line form the build prints and IDE consoles link: file:line:col: message. */
    String oneLine() {
        return shownFile + ":" + line + ":" + column + ": " + (error ? "" : "warning: ") + message;
    }
}
