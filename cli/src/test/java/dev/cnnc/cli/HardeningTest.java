package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a hostile tester uses it: every bad value, path and file gets one clear
 * line and exit 1 or 2 before any work starts; nothing is an "internal error"; nothing is left
 * half-written; runs keep their history.
 */
class HardeningTest {
    /** Every numeric flag of every command, with the command line it is tried on. */
    private static final Map<String, List<String>> NUMERIC = new LinkedHashMap<>();

    static {
        NUMERIC.put("train", List.of("--steps", "--epochs", "--batch", "--lr", "--seed", "--checkpoint-every", "--val-split", "--patience",
                "--report-every", "--threads", "--device"));
        NUMERIC.put("predict", List.of("--top", "--threads", "--device"));
        NUMERIC.put("bench", List.of("--batch", "--threads", "--warmup", "--repeat", "--seconds", "--device"));
        NUMERIC.put("gradcheck", List.of("--batch", "--samples", "--seed", "--threads", "--device"));
        NUMERIC.put("compile", List.of("--threads", "--device"));
    }

    /** Values no numeric flag takes: each flag's own out-of-range values are added per flag. */
    private static final List<String> NEVER = List.of("", "abc", "nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999", "0x10",
            "1,5", "-99999999999999999999999", "1/0", "-1");

    private static List<String> badValues(String flag) {
        List<String> v = new ArrayList<>(NEVER);
        switch (flag) {
            case "--lr", "--seconds" -> v.addAll(List.of("0", "-0.001", "0/1"));
            case "--val-split" -> v.addAll(List.of("0", "1", "1.5", "99999999999999999999999"));
            case "--warmup" -> v.addAll(List.of("-2", "-0.5"));
            case "--seed" -> v.addAll(List.of("-2", "0.5", "99999999999999999999999"));
            case "--report-every", "--device", "--patience" -> v.addAll(List.of("-2", "-0.5", "99999999999999999999999"));
            case "--threads" -> v.addAll(List.of("0", "100000", "1.5", "99999999999999999999999"));
            default -> v.addAll(List.of("0", "1.5", "2147483648", "99999999999999999999999"));
        }
        return v;
    }

    @Test
    void everyNumericFlagRefusesBadValuesBeforeAnyWork(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY);
        Path runs = Path.of(System.getProperty("cnnc.runs", "runs")).resolve("Tiny");
        long runsBefore = Files.isDirectory(runs) ? Files.list(runs).count() : 0;
        Random random = new Random(22);
        int tried = 0;
        for (Map.Entry<String, List<String>> command : NUMERIC.entrySet()) {
            for (String flag : command.getValue()) {
                List<String> values = badValues(flag);
                for (int i = 0; i < 6; i++) { // random picks, and a random position among the other arguments
                    String value = values.get(random.nextInt(values.size()));
                    List<String> args = new ArrayList<>(List.of(command.getKey(), cnn.toString()));
                    if (command.getKey().equals("predict")) {
                        args.addAll(List.of("--weights", dir.resolve("w.safetensors").toString(), "--image", cnn.toString()));
                    }
                    if (command.getKey().equals("compile")) {
                        args.addAll(List.of("-o", dir.resolve("out").toString()));
                    }
                    // before the file or after everything else (never between an option and its value)
                    args.add(random.nextBoolean() ? 1 : args.size(), flag + "=" + value);
                    CheckCommandTest.Run r = CheckCommandTest.run(args.toArray(String[]::new));
                    String what = String.join(" ", args);
                    assertEquals(2, r.exit(), what + "\n" + r.err());
                    assertTrue(r.err().startsWith("cnnc: error: invalid value for option '" + flag + "'"), what + "\n" + r.err());
                    assertTrue(r.err().contains("expected"), "names the range: " + r.err());
                    assertEquals(2, r.err().lines().count(), "one line and where to read more: " + r.err());
                    assertEquals("", r.out(), "no work started: " + what);
                    tried++;
                }
            }
        }
        assertTrue(tried > 150);
        assertFalse(Files.exists(dir.resolve("out")), "compile wrote nothing");
        assertEquals(runsBefore, Files.isDirectory(runs) ? Files.list(runs).count() : 0, "no run folder made");
    }

    @Test
    void flagsAndTheFileShareOneReader(@TempDir Path dir) throws Exception {
        // the file's "lr -1" and the flag's "--lr -1" are refused with the same words
        Path bad = dir.resolve("bad.cnn");
        Files.writeString(bad, BackendCommandsTest.TINY.replace("lr 0.1", "lr -1"));
        CheckCommandTest.Run file = CheckCommandTest.run("check", bad.toString());
        assertEquals(1, file.exit());
        assertTrue(file.err().contains("a number greater than 0"), file.err());
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY);
        CheckCommandTest.Run flag = CheckCommandTest.run("train", cnn.toString(), "--lr", "-1");
        assertTrue(flag.err().contains("a number greater than 0"), flag.err());
        // good values in the file's own forms are taken
        assertEquals(0, new picocli.CommandLine(new TrainCommand()).parseArgs(cnn.toString(), "--lr", "1/100", "--steps", "3",
                "--val-split", "0.25", "--threads", "2").errors().size());
    }

    @Test
    void helpAndVersionWorkEverywhere() {
        for (String command : List.of("check", "compile", "train", "gradcheck", "bench", "predict", "devices")) {
            CheckCommandTest.Run r = CheckCommandTest.run(command, "--help");
            assertEquals(0, r.exit(), command + ": " + r.err());
            assertTrue(r.out().contains("Usage: cnnc " + command), r.out());
        }
        CheckCommandTest.Run top = CheckCommandTest.run("--help");
        for (String line : top.out().lines().filter(l -> l.startsWith("  ") && !l.startsWith("   ") && !l.contains("-h")).toList()) {
            // a command's one-line summary ends its sentence (continuation lines are indented further)
            String last = top.out().lines().dropWhile(l -> !l.equals(line)).skip(1).takeWhile(l -> l.startsWith("     "))
                    .reduce(line, (a, b) -> b);
            assertTrue(last.strip().endsWith(".") || last.strip().endsWith("help"), "cut mid-sentence: " + line + " ... " + last);
        }
        CheckCommandTest.Run v = CheckCommandTest.run("--version");
        assertEquals(0, v.exit());
        assertTrue(v.out().matches("(?s)cnnc [0-9]+\\.[0-9]+\\.[0-9]+.*\\(commit .*"), v.out());
    }

    @Test
    void predictChecksTopAndClassNamesAgainstTheModel(@TempDir Path dir) throws Exception {
        Tiny t = Tiny.trained(dir);
        Path cnn = t.cnn(), data = t.data(), w = t.weights();
        Path names = dir.resolve("names.txt");
        Files.writeString(names, "a\nb\n");
        CheckCommandTest.Run few = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--classes", names.toString(),
                "--image", cnn.toString());
        assertEquals(2, few.exit());
        assertTrue(few.err().contains("names 2 classes, but Tiny has 3 outputs"), few.err());
        CheckCommandTest.Run top = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--top", "4", "--image",
                cnn.toString());
        assertEquals(2, top.exit());
        assertTrue(top.err().contains("--top 4 is more than the model's 3 classes"), top.err());
        CheckCommandTest.Run missing = CheckCommandTest.run("predict", cnn.toString(), "--weights", "/nonexist.st", "--image", cnn.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("cannot read the weights /nonexist.st: no such file"), missing.err());
        CheckCommandTest.Run noNames = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--classes",
                "/nonexist.txt", "--image", cnn.toString());
        assertTrue(noNames.err().contains("cannot read the class names /nonexist.txt: no such file"), noNames.err());
    }

    @Test
    void nonFiniteWeightsAreRefusedAndNaNPropagates(@TempDir Path dir) throws Exception {
        Tiny t = Tiny.trained(dir);
        Path cnn = t.cnn(), data = t.data(), w = t.weights();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Safetensors.read(w).forEach((k, v) -> {
            tensors.put(k, v.getValue());
            shapes.put(k, v.getKey());
        });
        tensors.get("conv1.weight")[7] = Float.NaN;
        Path nan = dir.resolve("nan.safetensors");
        Safetensors.write(nan, tensors, shapes);
        CheckCommandTest.Run predict = CheckCommandTest.run("predict", cnn.toString(), "--weights", nan.toString(), "--data", data.toString());
        assertEquals(1, predict.exit());
        assertTrue(predict.err().contains("tensor conv1.weight holds NaN at index 7"), predict.err());
        Path out = dir.resolve("out.safetensors");
        CheckCommandTest.Run init = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "1", "--init",
                nan.toString(), "--save", out.toString());
        assertEquals(1, init.exit());
        assertTrue(init.err().contains("conv1.weight holds NaN at index 7"), init.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void checkpointsAreVerifiedWhereverTheyAreRead(@TempDir Path dir) throws Exception {
        Tiny t = Tiny.in(dir);
        Path cnn = t.cnn(), data = t.data();
        Path run = dir.resolve("run");
        Path w = dir.resolve("w.safetensors");
        assertEquals(0, CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "3", "--run-dir", run.toString(),
                "--save", w.toString()).exit());
        Path ck = run.resolve("checkpoint.safetensors");
        byte[] bytes = Files.readAllBytes(ck);
        bytes[bytes.length - 6] ^= 0x10;
        Path damaged = dir.resolve("damaged.safetensors");
        Files.write(damaged, bytes);
        CheckCommandTest.Run init = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "1", "--init",
                damaged.toString());
        assertEquals(1, init.exit());
        assertTrue(init.err().contains("SHA-256"), init.err());
        CheckCommandTest.Run weightsAsCheckpoint = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--resume", w.toString());
        assertEquals(1, weightsAsCheckpoint.exit());
        assertTrue(weightsAsCheckpoint.err().contains("a weights file, not a checkpoint") && weightsAsCheckpoint.err().contains("--init " + w),
                weightsAsCheckpoint.err());
        CheckCommandTest.Run otherBatch = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--resume", run.toString(),
                "--batch", "8");
        assertEquals(2, otherBatch.exit());
        assertTrue(otherBatch.err().contains("the checkpoint's run used batch 16, this one asks for 8"), otherBatch.err());
        assertEquals("", otherBatch.out(), "refused before any data was read");
    }

    @Test
    void runsKeepTheirHistory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("k.cnn"), CheckpointResumeTest.MODEL.replace("model K", "model Hist"));
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableIdx(data, 200); // 13 batches an epoch, 2 epochs
        String[] base = {"train", dir.resolve("k.cnn").toString(), "--data", data.toString(), "--seed", "5", "--threads", "2", "--report-every", "0"};
        Path whole = dir.resolve("whole");
        assertEquals(0, CheckCommandTest.run(concat(base, "--run-dir", whole.toString())).exit());
        // stopped mid-epoch, resumed without --run-dir: the same folder, its metrics appended, epoch 1's figures whole
        Path parted = dir.resolve("parted");
        assertEquals(0, CheckCommandTest.run(concat(base, "--run-dir", parted.toString(), "--steps", "10")).exit());
        CheckCommandTest.Run resumed = CheckCommandTest.run(concat(base, "--resume", parted.toString()));
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.out().contains("run folder: " + parted), resumed.out());
        List<String> a = Files.readAllLines(whole.resolve("metrics.csv"));
        List<String> b = Files.readAllLines(parted.resolve("metrics.csv"));
        assertEquals(3, b.size(), "header and both epochs: " + b);
        for (int i = 1; i < 3; i++) { // epoch, train loss, train accuracy, test loss, test accuracy, learning rate agree
            assertEquals(List.of(a.get(i).split(",")).subList(0, 6), List.of(b.get(i).split(",")).subList(0, 6), "epoch " + i);
        }
        // a folder holding a run is not replaced
        CheckCommandTest.Run again = CheckCommandTest.run(concat(base, "--run-dir", whole.toString()));
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("holds an earlier run"), again.err());
        assertEquals(a, Files.readAllLines(whole.resolve("metrics.csv")));
        // without --run-dir each run gets the next number
        Path root = Path.of(System.getProperty("cnnc.runs", "runs")).resolve("Hist");
        CheckCommandTest.Run first = CheckCommandTest.run(concat(base, "--steps", "1"));
        CheckCommandTest.Run second = CheckCommandTest.run(concat(base, "--steps", "1"));
        String f = between(first.out(), "run folder: ");
        String s = between(second.out(), "run folder: ");
        assertEquals(Path.of(f).getParent(), root);
        assertEquals(Integer.parseInt(Path.of(f).getFileName().toString()) + 1, Integer.parseInt(Path.of(s).getFileName().toString()));
    }

    @Test
    void aRunFolderIsHeldByOneTraining(@TempDir Path dir) throws Exception {
        Tiny t = Tiny.in(dir);
        Path cnn = t.cnn(), data = t.data();
        Path run = Files.createDirectories(dir.resolve("run"));
        long live = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow(); // a process that runs
        Files.writeString(run.resolve(RunFolder.LOCK), live + "\n");
        CheckCommandTest.Run held = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "1", "--run-dir", run.toString());
        assertEquals(2, held.exit());
        assertTrue(held.err().contains("in use by another training (pid " + live + ","), held.err());
        Files.writeString(run.resolve(RunFolder.LOCK), "2147483646\n"); // no such process
        CheckCommandTest.Run stale = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "1", "--run-dir", run.toString());
        assertEquals(0, stale.exit(), stale.err());
        assertTrue(stale.out().contains("left by pid 2147483646, which no longer runs"), stale.out() + stale.err());
        assertFalse(Files.exists(run.resolve(RunFolder.LOCK)), "released at the end");
    }

    @Test
    void outputPathsAreCheckedBeforeWork(@TempDir Path dir) throws Exception {
        Tiny t = Tiny.in(dir);
        Path cnn = t.cnn(), data = t.data();
        Path aFile = Files.writeString(dir.resolve("a-file"), "x");
        Path folder = Files.createDirectories(dir.resolve("folder"));
        String[][] cases = {
            {"--save", folder.toString(), "is a folder"},
            {"--save", aFile.resolve("w.safetensors").toString(), "cannot write the weights (--save)"},
            {"--run-dir", aFile.toString(), "is a file, not a folder"},
            {"--checkpoint-dir", aFile.resolve("sub").toString(), "cannot write checkpoints in"},
        };
        for (String[] c : cases) {
            CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "1", c[0], c[1]);
            assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[2]) && r.err().contains(c[1]), r.err());
            assertFalse(r.out().contains("training"), "refused before training: " + r.out());
        }
        try (Stream<Path> left = Files.list(folder)) {
            assertEquals(List.of(), left.toList(), "no stray .tmp beside --save DIR");
        }
        CheckCommandTest.Run compileToFile = CheckCommandTest.run("compile", cnn.toString(), "-o", aFile.toString());
        assertEquals(2, compileToFile.exit());
        assertTrue(compileToFile.err().contains("-o " + aFile + " is a file"), compileToFile.err());
        CheckCommandTest.Run compileUnder = CheckCommandTest.run("compile", cnn.toString(), "-o", aFile.resolve("out").toString());
        assertEquals(2, compileUnder.exit());
        assertFalse(compileUnder.err().contains("internal error"), compileUnder.err());
        CheckCommandTest.Run keyword = CheckCommandTest.run("compile", cnn.toString(), "-o", folder.toString(), "--package", "class");
        assertEquals(2, keyword.exit());
        assertTrue(keyword.err().contains("Java keyword"), keyword.err());
        CheckCommandTest.Run ok = CheckCommandTest.run("compile", cnn.toString(), "-o", folder.resolve("src").toString());
        assertEquals(0, ok.exit(), ok.err());
        try (Stream<Path> all = Files.walk(folder.resolve("src"))) {
            assertEquals(List.of("Tiny.java"), all.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void memoryIsEstimatedBeforeAnythingIsAllocated(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("big.cnn");
        Files.writeString(cnn, "model Big\ninput 28x28x1\nconv 8 3x3 pad 1000; relu\nflatten\ndense 10\n"
                + "train { loss cross_entropy; optimizer sgd lr 0.1; batch 64 }\n");
        CheckCommandTest.Run padded = CheckCommandTest.run("train", cnn.toString(), "--steps", "1");
        assertEquals(2, padded.exit(), padded.err());
        assertTrue(padded.err().contains("the largest layer is conv1 (line 3, 2026x2026x8 an example)"), padded.err());
        // what fits depends on the heap: asked of the check itself with heaps given
        dev.cnnc.compiler.model.CheckedModel big = dev.cnnc.compiler.Frontend.check(dev.cnnc.compiler.SourceFiles.read(cnn)).model();
        Models.Stop none = org.junit.jupiter.api.Assertions.assertThrows(Models.Stop.class,
                () -> MemoryCheck.require(big, 64, 2, "--batch", false, true, 1L << 30));
        assertTrue(none.getMessage().contains("not even one example fits"), none.getMessage());
        Models.Stop some = org.junit.jupiter.api.Assertions.assertThrows(Models.Stop.class,
                () -> MemoryCheck.require(big, 64, 2, "--batch", false, true, 32L << 30));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("a batch of at most ([0-9]+) fits").matcher(some.getMessage());
        assertTrue(m.find(), some.getMessage());
        int fits = Integer.parseInt(m.group(1));
        assertTrue(fits >= 1 && fits < 64, some.getMessage());
        MemoryCheck.require(big, fits, 2, "--batch", true, true, 32L << 30); // the batch it names does fit
        assertEquals("", padded.out());
        Path tiny = dir.resolve("tiny.cnn");
        Files.writeString(tiny, BackendCommandsTest.TINY);
        CheckCommandTest.Run huge = CheckCommandTest.run("train", tiny.toString(), "--batch", "2000000000");
        assertEquals(2, huge.exit(), huge.err());
        assertTrue(huge.err().contains("--batch 2000000000") && huge.err().contains("fits (--batch "), huge.err());
        CheckCommandTest.Run check = CheckCommandTest.run("check", tiny.toString());
        assertTrue(check.out().contains("Training memory (batch 16): about"), check.out());
    }

    @Test
    void inputMessagesNameTheFileAndTheCause(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, "\uFEFF" + BackendCommandsTest.TINY); // a byte-order mark is accepted
        assertEquals(0, CheckCommandTest.run("check", cnn.toString()).exit());
        Path times = dir.resolve("times.cnn");
        Files.writeString(times, BackendCommandsTest.TINY.replace("8x8x1", "8\u00D78\u00D71"));
        CheckCommandTest.Run t = CheckCommandTest.run("check", times.toString());
        assertEquals(1, t.exit());
        assertTrue(t.err().contains("write x instead"), t.err());
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableIdx(data, 64);
        Path gz = data.resolve("train-images-idx3-ubyte.gz");
        byte[] raw = Files.readAllBytes(data.resolve("train-images-idx3-ubyte"));
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.GZIPOutputStream(zipped)) {
            z.write(raw);
        }
        Files.delete(data.resolve("train-images-idx3-ubyte"));
        Files.write(gz, java.util.Arrays.copyOf(zipped.toByteArray(), zipped.size() / 2));
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--steps", "1");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(gz + ": a truncated or corrupt gzip file"), r.err());
    }

    @Test
    void predictReadsTheImageFoldersTrainReads(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY);
        Path folders = dir.resolve("images");
        for (int cls = 0; cls < 3; cls++) {
            Path c = Files.createDirectories(folders.resolve("class" + cls));
            for (int i = 0; i < 4; i++) {
                java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
                image.getRaster().setSample(cls, i, 0, 200);
                javax.imageio.ImageIO.write(image, "png", c.resolve(i + ".png").toFile());
            }
        }
        Path w = dir.resolve("w.safetensors");
        assertEquals(0, CheckCommandTest.run("train", cnn.toString(), "--data", folders.toString(), "--steps", "2", "--save", w.toString()).exit());
        CheckCommandTest.Run r = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--data", folders.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("12 examples"), r.out());
    }

    /** The tiny sample model and 64 learnable examples in a folder; {@link #trained} also trains it 2 steps into w.safetensors. */
    record Tiny(Path cnn, Path data, Path weights) {
        static Tiny in(Path dir) throws Exception {
            Path cnn = Files.writeString(dir.resolve("tiny.cnn"), BackendCommandsTest.TINY);
            Path data = Files.createDirectories(dir.resolve("data"));
            BackendCommandsTest.writeLearnableIdx(data, 64);
            return new Tiny(cnn, data, dir.resolve("w.safetensors"));
        }

        static Tiny trained(Path dir) throws Exception {
            Tiny t = in(dir);
            assertEquals(0, CheckCommandTest.run("train", t.cnn().toString(), "--data", t.data().toString(), "--steps", "2", "--save",
                    t.weights().toString(), "--run-dir", dir.resolve("run-tiny").toString()).exit());
            return t;
        }
    }

    private static String between(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(text)).substring(prefix.length());
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
