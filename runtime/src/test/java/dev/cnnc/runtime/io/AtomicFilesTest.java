package dev.cnnc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails part way leaves the old file whole and no temporary file behind; errors read well. */
class AtomicFilesTest {
    @Test
    void aNewFileIsReadableByAllAndAReplacedOneKeepsItsPermissions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("report.html");
        AtomicFiles.write(file, "one");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.write(file, "two");
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("two", Files.readString(file));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.java");
        AtomicFiles.write(file, "old");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(file, ByteBuffer.wrap("new and longer".getBytes()), () -> {
            throw new IllegalStateException("the disk filled up here");
        }));
        assertEquals("old", Files.readString(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }
        AtomicFiles.write(file, "new");
        assertEquals("new", Files.readString(file));
    }

    @Test
    void foldersAndFilesInTheWayAreNamed(@TempDir Path dir) throws Exception {
        Path aFile = Files.writeString(dir.resolve("f"), "x");
        IOException folder = assertThrows(IOException.class, () -> AtomicFiles.checkWritableFile(dir));
        assertTrue(IoMessages.cannot("write", dir, folder).endsWith("is a folder, not a file"), IoMessages.cannot("write", dir, folder));
        IOException under = assertThrows(IOException.class, () -> AtomicFiles.checkWritableFolder(aFile.resolve("sub")));
        String message = IoMessages.cannot("write in", aFile.resolve("sub"), under);
        assertTrue(message.startsWith("cannot write in " + aFile.resolve("sub") + ": "), message);
        IOException missing = assertThrows(IOException.class, () -> Files.readAllBytes(dir.resolve("nope")));
        assertEquals("cannot read " + dir.resolve("nope") + ": no such file or folder", IoMessages.cannot("read", dir.resolve("nope"), missing));
    }
}
