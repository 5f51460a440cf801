package dev.cnnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
    static final String TINY = """
            model Tiny
            input 8x8x1
            conv 4 3x3; relu; maxpool 2
            flatten
            dense 3
            """;
    static final String OTHER = """
            model Other
            input 6
            dense 4; relu
            dense 2
            """;

    @TempDir
    Path project;

    final List<Path> refreshed = new ArrayList<>();

    Path src() {
        return project.resolve("src/main/cnn");
    }

    Path out() {
        return project.resolve("target/generated-sources/cnnc");
    }

    Generator.Outcome run(String fingerprint, String packageName) throws IOException {
        return run(fingerprint, packageName, ModelBackend.JAVA);
    }

    Generator.Outcome run(String fingerprint, String packageName, ModelBackend backend) throws IOException {
        refreshed.clear();
        return new Generator(new Generator.Settings(src(), out(), project.resolve("target/cnnc-state/default.properties"), project,
                packageName, backend, true, fingerprint), refreshed::add).run();
    }

    @Test
    void bothBackendsWriteTheJavaClassTheOpenClHostAndItsKernels() throws IOException {
        write("com/example/tiny.cnn", TINY);
        Generator.Outcome outcome = run("v1", null, ModelBackend.BOTH);
        assertEquals(List.of("com/example/tiny.cnn"), outcome.generated());
        assertTrue(Files.readString(out().resolve("com/example/Tiny.java")).contains("implements Network"));
        assertTrue(Files.readString(out().resolve("com/example/TinyOpenCl.java")).contains("extends OpenClNetwork"));
        assertTrue(Files.readString(out().resolve("com/example/Tiny.cl")).contains("__kernel void op0_conv_fwd("));
        // back to Java only: the OpenCL files go
        run("v2", null, ModelBackend.JAVA);
        assertFalse(Files.exists(out().resolve("com/example/TinyOpenCl.java")));
        assertFalse(Files.exists(out().resolve("com/example/Tiny.cl")));
    }

    Generator.Outcome run() throws IOException {
        return run("v1", null);
    }

    @Test
    void aClassWrittenByHandWithTheModelsNameIsAnErrorNamingBoth() throws IOException {
        write("com/example/tiny.cnn", TINY);
        Path java = project.resolve("src/main/java");
        Files.createDirectories(java.resolve("com/example"));
        Files.writeString(java.resolve("com/example/Tiny.java"), "package com.example; public class Tiny {}");
        Generator.Outcome outcome = new Generator(new Generator.Settings(src(), out(), project.resolve("target/cnnc-state/default.properties"),
                project, null, ModelBackend.JAVA, true, "v1", List.of(java, out())), refreshed::add).run();
        assertTrue(outcome.failed());
        String message = outcome.problems().get(0).oneLine();
        assertTrue(message.contains("src/main/cnn/com/example/tiny.cnn") && message.contains("src/main/java/com/example/Tiny.java")
                && message.contains("already defines that class"), message);
        assertFalse(Files.exists(out().resolve("com/example/Tiny.java")), "nothing generated to clash in javac");
    }

    void write(String relative, String text) throws IOException {
        Path file = src().resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void generatesIntoThePackageOfTheFolder() throws IOException {
        write("com/example/tiny.cnn", TINY);
        write("other.cnn", OTHER);
        Generator.Outcome outcome = run();
        assertEquals(List.of("com/example/tiny.cnn", "other.cnn"), outcome.generated());
        String tiny = Files.readString(out().resolve("com/example/Tiny.java"));
        assertTrue(tiny.contains("\npackage com.example;\n"), tiny.substring(0, 80));
        assertTrue(tiny.contains("implements Network"));
        assertFalse(Files.readString(out().resolve("Other.java")).contains("package "));
        assertEquals(2, refreshed.size());
    }

    @Test
    void aSecondRunWithNothingChangedWritesNothing() throws IOException {
        write("a/tiny.cnn", TINY);
        write("a/other.cnn", OTHER);
        run();
        long before = Files.getLastModifiedTime(out().resolve("a/Tiny.java")).toMillis();
        Generator.Outcome again = run();
        assertEquals(List.of(), again.generated());
        assertEquals(List.of("a/other.cnn", "a/tiny.cnn"), again.upToDate());
        assertEquals(List.of(), refreshed);
        assertEquals(before, Files.getLastModifiedTime(out().resolve("a/Tiny.java")).toMillis());
    }

    @Test
    void aChangedFileRegeneratesOnlyItself() throws IOException {
        write("a/tiny.cnn", TINY);
        write("a/other.cnn", OTHER);
        run();
        write("a/tiny.cnn", TINY.replace("conv 4", "conv 5"));
        Generator.Outcome outcome = run();
        assertEquals(List.of("a/tiny.cnn"), outcome.generated());
        assertEquals(List.of("a/other.cnn"), outcome.upToDate());
        assertEquals(List.of(out().resolve("a/Tiny.java")), refreshed.stream().distinct().toList());
    }

    @Test
    void aDeletedFileRemovesItsSourcesAndEmptyFolders() throws IOException {
        write("a/b/tiny.cnn", TINY);
        write("other.cnn", OTHER);
        run();
        Files.delete(src().resolve("a/b/tiny.cnn"));
        Generator.Outcome outcome = run();
        assertEquals(List.of("a/b/tiny.cnn"), outcome.removed());
        assertFalse(Files.exists(out().resolve("a/b/Tiny.java")));
        assertFalse(Files.exists(out().resolve("a")), "empty package folders are removed");
        assertTrue(Files.exists(out().resolve("Other.java")));
    }

    @Test
    void renamingTheModelReplacesTheOldClass() throws IOException {
        write("tiny.cnn", TINY);
        run();
        write("tiny.cnn", TINY.replace("model Tiny", "model Small"));
        run();
        assertTrue(Files.exists(out().resolve("Small.java")));
        assertFalse(Files.exists(out().resolve("Tiny.java")));
    }

    @Test
    void aDeletedOutputIsRegenerated() throws IOException {
        write("tiny.cnn", TINY);
        run();
        Files.delete(out().resolve("Tiny.java"));
        assertEquals(List.of("tiny.cnn"), run().generated());
        assertTrue(Files.exists(out().resolve("Tiny.java")));
    }

    @Test
    void otherSettingsRegenerateEverything() throws IOException {
        write("tiny.cnn", TINY);
        write("other.cnn", OTHER);
        run();
        assertEquals(2, run("v2", null).generated().size());
        Generator.Outcome moved = run("v3", "org.models");
        assertEquals(2, moved.generated().size());
        assertTrue(Files.exists(out().resolve("org/models/Tiny.java")));
        assertFalse(Files.exists(out().resolve("Tiny.java")), "the sources generated under the old package are gone");
    }

    @Test
    void everyErrorOfEveryFileIsReportedWithItsPosition() throws IOException {
        write("ok/tiny.cnn", TINY);
        write("bad/broken.cnn", "model Broken\ninput 8x8x1\nconv 4 3x3; relu; maxpol 2\ndense 0\n");
        write("bad/other.cnn", OTHER.replace("dense 4", "dense 4 5x5"));
        Generator.Outcome outcome = run();
        assertTrue(outcome.failed());
        assertEquals(List.of("ok/tiny.cnn"), outcome.generated(), "good models are still generated");
        List<String> lines = outcome.problems().stream().filter(Problem::error).map(Problem::oneLine).toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(Path.of("src/main/cnn/bad/broken.cnn") + ":3:19: ") && l.contains("maxpool")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(Path.of("src/main/cnn/bad/broken.cnn") + ":4:")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(Path.of("src/main/cnn/bad/other.cnn") + ":3:")), lines.toString());
        Problem first = outcome.problems().get(0);
        assertTrue(first.rendered().contains("^"), "the full report has a caret: " + first.rendered());
        // Fixing the file makes the next run generate it; the broken state was not recorded as up to date.
        write("bad/broken.cnn", "model Broken\ninput 8x8x1\nconv 4 3x3; relu; maxpool 2\nflatten\ndense 2\n");
        Files.delete(src().resolve("bad/other.cnn"));
        Generator.Outcome fixed = run();
        assertFalse(fixed.failed(), fixed.problems().toString());
        assertEquals(List.of("bad/broken.cnn"), fixed.generated());
    }

    @Test
    void aBrokenEditRemovesTheStaleSources() throws IOException {
        write("tiny.cnn", TINY);
        run();
        write("tiny.cnn", TINY.replace("dense 3", "dense three"));
        assertTrue(run().failed());
        assertFalse(Files.exists(out().resolve("Tiny.java")), "sources of a model that no longer checks are not left to compile");
    }

    @Test
    void twoModelsWithOneClassNameAreAnError() throws IOException {
        write("x/one.cnn", TINY);
        write("x/two.cnn", TINY);
        Generator.Outcome outcome = run();
        assertTrue(outcome.failed());
        Problem clash = outcome.problems().get(0);
        assertTrue(clash.oneLine().startsWith(Path.of("src/main/cnn/x/two.cnn") + ":1:1: "), clash.oneLine());
        assertTrue(clash.message().contains("x/one.cnn generates too"), clash.message());
    }

    @Test
    void aFolderThatIsNoPackageIsAnError() throws IOException {
        write("my-models/tiny.cnn", TINY);
        Generator.Outcome outcome = run();
        assertTrue(outcome.failed());
        assertTrue(outcome.problems().get(0).message().contains("'my-models' cannot be part of a Java package name"));
        assertNotEquals(List.of(), outcome.problems());
    }

    @Test
    void noSourceFolderIsNothingToDo() throws IOException {
        Generator.Outcome outcome = run();
        assertFalse(outcome.failed());
        assertEquals(List.of(), outcome.generated());
    }
}
