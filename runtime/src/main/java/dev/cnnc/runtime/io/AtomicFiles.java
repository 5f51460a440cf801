package dev.cnnc.runtime.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Every file cnnc writes goes through here: a temporary file beside the target, written in full
 * and synced, then renamed over it. A crash, a full disk or a killed process leaves the old file
 * or the new one, never a torn one, and never a stray temporary file.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void write(Path file, String text) throws IOException {
        write(file, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), null);
    }

    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, ByteBuffer.wrap(bytes), null);
    }

    /** Writes {@code data}; {@code beforeRename} runs once the temporary file is complete (tests simulate a crash there). */
    public static void write(Path file, ByteBuffer data, Runnable beforeRename) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            throw new java.nio.file.FileSystemException(file.toString(), null, "is a folder, not a file");
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        boolean moved = false;
        try {
            readableLikeAnyFile(tmp, file);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (data.hasRemaining()) {
                    ch.write(data);
                }
                ch.force(true);
            }
            if (beforeRename != null) {
                beforeRename.run();
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a power cut
        } catch (IOException ignored) {
            // some file systems cannot sync a directory; the rename is still atomic
        }
    }

    /**
     * A temporary file is made readable by its owner only; what it becomes should not be: the
     * permissions of the file it replaces, or rw-r--r-- (what a umask of 022 gives) for a new one.
     */
    private static void readableLikeAnyFile(Path tmp, Path file) throws IOException {
        if (!Files.getFileStore(tmp).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            return;
        }
        Files.setPosixFilePermissions(tmp, Files.exists(file) ? Files.getPosixFilePermissions(file)
                : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    /**
     * Checks before any work that {@code file} can be written: its folder exists or can be made,
     * and a file can be created in it (tried for real, so permissions, read-only mounts and a
     * full disk all show). Throws an exception whose message {@link IoMessages} can phrase.
     */
    public static void checkWritableFile(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new java.nio.file.FileSystemException(file.toString(), null, "is a folder, not a file");
        }
        probe(file.toAbsolutePath().getParent(), "." + file.getFileName());
    }

    /** The same for a folder that cnnc will write files into (made here when missing). */
    public static void checkWritableFolder(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new java.nio.file.FileSystemException(dir.toString(), null, "is a file, not a folder");
        }
        probe(dir.toAbsolutePath(), ".cnnc-write-check");
    }

    private static void probe(Path dir, String prefix) throws IOException {
        Files.createDirectories(dir);
        Path probe = Files.createTempFile(dir, prefix, ".probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0}));
        } finally {
            Files.deleteIfExists(probe);
        }
    }
}
