package dev.cnnc.compiler;

import dev.cnnc.compiler.diag.SourceFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads .cnn files for the checker, refusing what is not a readable, reasonably sized text file. */
public final class SourceFiles {
    /** A real model is a few kilobytes; anything this large is a mistake (or an attack) and is refused quickly. */
    public static final long MAX_BYTES = 4L << 20;

    /** Why a file could not be read; the message is for the user. */
    public static final class Unreadable extends Exception {
        public Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    private SourceFiles() {
    }

    public static SourceFile read(Path path) throws Unreadable {
        String shown = path.toString();
        if (Files.isDirectory(path)) {
            throw new Unreadable("cannot read " + shown + ": it is a directory (give the .cnn file inside it)");
        }
        try {
            long size = Files.size(path);
            if (size > MAX_BYTES) {
                throw new Unreadable("cannot read " + shown + ": it is " + human(size) + "; .cnn files larger than "
                        + human(MAX_BYTES) + " are not accepted");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(path)) {
                bytes = in.readNBytes((int) MAX_BYTES + 1); // the size may change while we read
            }
            if (bytes.length > MAX_BYTES) {
                throw new Unreadable("cannot read " + shown + ": it is larger than " + human(MAX_BYTES));
            }
            String text = decode(bytes);
            // editors on Windows start UTF-8 files with a byte-order mark; it is not part of the model
            return new SourceFile(shown, text.startsWith("\uFEFF") ? text.substring(1) : text);
        } catch (NoSuchFileException e) {
            throw new Unreadable("cannot read " + shown + ": no such file");
        } catch (IOException e) {
            throw new Unreadable(dev.cnnc.runtime.io.IoMessages.cannot("read", path, e));
        }
    }

    /** UTF-8, with malformed bytes replaced by U+FFFD (reported by the parser as unexpected characters). */
    static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("cannot happen with REPLACE", e);
        }
    }

    static String human(long bytes) {
        if (bytes >= 1L << 20) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / (double) (1L << 10));
        }
        return bytes + " bytes";
    }
}
