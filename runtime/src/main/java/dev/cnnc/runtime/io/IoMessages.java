package dev.cnnc.runtime.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * One way to say that a file operation failed: what cnnc was doing, the path, and the system's
 * reason ("cannot read the weights /x.st: no such file"). Java's own messages are often only the
 * path ("/x.st") or only the reason ("Unexpected end of ZLIB input stream").
 */
public final class IoMessages {
    private IoMessages() {
    }

    /** "cannot DOING PATH: REASON". */
    public static String cannot(String doing, Path path, IOException e) {
        return "cannot " + doing + " " + path + ": " + reason(path, e);
    }

    /** The system's reason, without the path when the exception only repeats it. */
    public static String reason(Path path, IOException e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() != null && path != null && !n.getFile().equals(path.toString()) ? "no such file or folder: " + n.getFile()
                    : "no such file or folder";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return (f.getFile() == null || f.getFile().equals(String.valueOf(path)) ? "" : f.getFile() + " ") + "already exists";
        }
        if (e instanceof NotDirectoryException n) {
            return n.getFile() + " is not a folder";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "the folder is not empty";
        }
        if (e instanceof java.util.zip.ZipException || e instanceof java.io.EOFException) {
            return "the file is truncated or corrupt (" + e.getMessage() + ")";
        }
        if (e instanceof FileSystemException f) {
            String r = f.getReason();
            String file = f.getFile();
            String prefix = file != null && path != null && !file.equals(path.toString()) ? file + ": " : "";
            return prefix + (r != null ? lowerFirst(r) : "failed");
        }
        String m = e.getMessage();
        if (m == null || m.isBlank() || (path != null && m.equals(path.toString()))) {
            return e.getClass().getSimpleName();
        }
        return lowerFirst(m);
    }

    /** A message's first letter in lower case, to follow "cnnc: error: "; words in capitals (SHA-256, IDX) are left. */
    public static String lowerFirst(String s) {
        return s.isEmpty() || (s.length() > 1 && Character.isUpperCase(s.charAt(1))) ? s
                : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
