package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Idx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compile, train, gradcheck and bench from the command line, on small models and data made here. */
class BackendCommandsTest {
    static final String TINY = "model Tiny\ninput 8x8x1\nconv 4 3x3 pad same; maxpool 2; relu\nflatten\ndense 3\n"
            + "train {\n  loss cross_entropy\n  optimizer sgd lr 0.1 momentum 0.9\n  batch 16\n  normalize scale 1/255\n}\n";

    static CheckCommandTest.Run run(String... args) {
        return CheckCommandTest.run(args);
    }

    @Test
    void compileWritesTheClassInItsPackage(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        CheckCommandTest.Run r = run("compile", cnn.toString(), "--backend", "java", "-o", dir.resolve("out").toString(), "--package", "com.example.nets");
        assertEquals(0, r.exit(), r.err());
        Path java = dir.resolve("out/com/example/nets/Tiny.java");
        assertTrue(Files.exists(java), r.out());
        String source = Files.readString(java);
        assertTrue(source.contains("package com.example.nets;"));
        assertTrue(source.contains("public final class Tiny implements Network"));
        assertTrue(source.contains("line 3"), "a comment names the .cnn line");
        assertEquals(2, run("compile", cnn.toString(), "-o", dir.toString(), "--package", "no-dashes").exit());
        assertEquals(2, run("compile", cnn.toString(), "-o", dir.toString(), "--simd", "avx").exit());
        assertEquals(2, run("compile", cnn.toString()).exit(), "-o is required");
    }

    @Test
    void compileForOpenClWritesKernelsAndTheirHostClass(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        CheckCommandTest.Run r = run("compile", cnn.toString(), "--backend", "opencl", "-o", dir.resolve("out").toString(), "--package", "com.example.nets");
        assertEquals(0, r.exit(), r.err());
        String kernels = Files.readString(dir.resolve("out/com/example/nets/Tiny.cl"));
        assertTrue(kernels.contains("__kernel void op0_conv_fwd("), kernels);
        assertTrue(kernels.contains("__kernel void op0_conv_dw("), kernels);
        String host = Files.readString(dir.resolve("out/com/example/nets/TinyOpenCl.java"));
        assertTrue(host.contains("public final class TinyOpenCl extends OpenClNetwork"), host);
        assertTrue(host.contains("launchTiles(\"op0_conv_fwd\""), host);
        assertTrue(host.contains("tiny.cnn line 3"), "a comment names the .cnn line:\n" + host);
    }

    @Test
    void aMissingOpenClDeviceIsAUsageError(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        Path data = Files.createDirectories(dir.resolve("data"));
        writeLearnableSplits(data, 64);
        CheckCommandTest.Run r = run("train", cnn.toString(), "--data", data.toString(), "--backend", "opencl", "--device", "9", "--steps", "1");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("no OpenCL device 9"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void trainLowersTheLossAndSavesWeights(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        Path data = Files.createDirectories(dir.resolve("data"));
        writeLearnableIdx(data, 512);
        Path saved = dir.resolve("w.safetensors");
        CheckCommandTest.Run r = run("train", cnn.toString(), "--data", data.toString(), "--epochs", "3", "--save", saved.toString(),
                "--report-every", "0", "--seed", "4");
        assertEquals(0, r.exit(), r.err());
        Matcher m = Pattern.compile("epoch (\\d)  loss ([0-9.]+)  train accuracy ([0-9.]+)").matcher(r.out());
        double first = -1;
        double last = -1;
        double accuracy = 0;
        while (m.find()) {
            last = Double.parseDouble(m.group(2));
            accuracy = Double.parseDouble(m.group(3));
            if (first < 0) {
                first = last;
            }
        }
        assertTrue(first > 0 && last < first * 0.5, "loss falls: " + r.out());
        assertTrue(accuracy > 0.9, "learns the easy task: " + r.out());
        assertTrue(Files.size(saved) > 0);

        // resuming from the saved weights starts from a low loss
        CheckCommandTest.Run again = run("train", cnn.toString(), "--data", data.toString(), "--steps", "1", "--init", saved.toString(),
                "--report-every", "1");
        assertEquals(0, again.exit(), again.err());
        Matcher step = Pattern.compile("step 1  loss ([0-9.]+)").matcher(again.out());
        assertTrue(step.find(), again.out());
        assertTrue(Double.parseDouble(step.group(1)) < first, again.out());
    }

    @Test
    void trainReportsUserMistakesWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        Path data = Files.createDirectories(dir.resolve("data"));
        CheckCommandTest.Run empty = run("train", cnn.toString(), "--data", data.toString());
        assertEquals(1, empty.exit());
        assertTrue(empty.err().contains("no data found: expected IDX files (train-images*, train-labels*), CIFAR-10 batches"), empty.err());
        writeLearnableIdx(data, 32);
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        CheckCommandTest.Run badInit = run("train", cnn.toString(), "--data", data.toString(), "--init", bad.toString());
        assertEquals(1, badInit.exit());
        assertTrue(badInit.err().contains("too short to be a safetensors file"), badInit.err());
        Path noTrain = dir.resolve("notrain.cnn");
        Files.writeString(noTrain, "model N\ninput 8x8x1\nflatten; dense 3\n");
        CheckCommandTest.Run r = run("train", noTrain.toString(), "--data", data.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("has no train { } section"), r.err());
        for (CheckCommandTest.Run x : new CheckCommandTest.Run[] {empty, badInit, r}) {
            assertFalse(x.err().contains("Exception") || x.err().contains("\tat "), x.err());
        }
    }

    @Test
    void gradcheckPassesOnEveryLayerKind() {
        CheckCommandTest.Run r = run("gradcheck", "../compiler/src/test/resources/golden/good/every_layer.cnn");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("gradients agree"), r.out());
        assertTrue(r.out().contains("conv2"), r.out());
        assertTrue(r.out().contains("batchnorm2"), r.out());
    }

    @Test
    void benchPrintsEveryColumn(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        CheckCommandTest.Run r = run("bench", cnn.toString(), "--mode", "train,infer", "--simd", "vector,none", "--batch", "8", "--warmup", "0",
                "--repeat", "2", "--seconds", "0.1", "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("peak of this machine (tuned matrix product, 1 thread):"), r.out());
        assertTrue(r.out().contains("fwd ms") && r.out().contains("GFLOP/s") && r.out().contains("share"), r.out());
        assertTrue(r.out().contains("conv1 + maxpool 2 + relu"), r.out());
        assertEquals(4, Pattern.compile("\\d+ images/s \\(median of 2 runs.*% of peak").matcher(r.out()).results().count(), r.out());
        assertTrue(r.out().contains("plain Java") && r.out().contains("Vector API"), r.out());
    }

    @Test
    void benchComparesOpenClWithJava(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        CheckCommandTest.Run r = run("bench", cnn.toString(), "--backend", "java,opencl", "--mode", "train", "--batch", "8", "--warmup", "0",
                "--repeat", "1", "--seconds", "0.1", "--json");
        assertEquals(0, r.exit(), r.err());
        java.util.Map<?, ?> json = (java.util.Map<?, ?>) dev.cnnc.runtime.json.JsonReader.parse(r.out());
        java.util.List<?> results = (java.util.List<?>) json.get("results");
        assertEquals(2, results.size());
        java.util.Map<?, ?> cl = (java.util.Map<?, ?>) results.get(1);
        assertEquals("opencl", cl.get("backend"));
        assertTrue(((String) cl.get("device")).startsWith("OpenCL on "), cl.toString());
        assertTrue(((Number) cl.get("ratioToJava")).doubleValue() > 0, cl.toString());
        assertEquals(3, ((java.util.List<?>) cl.get("ops")).size());
        // the device against its own peak, and what a step asks of it: the batch and labels in, the loss and predictions out
        assertTrue(((Number) json.get("devicePeakGflops")).doubleValue() > 0, json.toString());
        assertTrue(((Number) json.get("deviceBandwidthGBps")).doubleValue() > 0, json.toString());
        assertEquals(2, ((Number) cl.get("writesPerStep")).intValue(), cl.toString());
        assertEquals(2, ((Number) cl.get("readsPerStep")).intValue(), cl.toString());
        assertEquals(2, ((Number) cl.get("hostWaitsPerStep")).intValue(), cl.toString());
    }

    @Test
    void benchJsonParses(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, TINY);
        CheckCommandTest.Run r = run("bench", cnn.toString(), "--mode", "infer", "--batch", "4", "--warmup", "0", "--repeat", "1",
                "--seconds", "0.1", "--json");
        assertEquals(0, r.exit(), r.err());
        java.util.Map<?, ?> json = (java.util.Map<?, ?>) dev.cnnc.runtime.json.JsonReader.parse(r.out());
        assertEquals("Tiny", json.get("model"));
        assertTrue(((Number) json.get("peakGflops")).doubleValue() > 0);
        java.util.Map<?, ?> first = (java.util.Map<?, ?>) ((java.util.List<?>) json.get("results")).get(0);
        assertTrue(((Number) first.get("imagesPerSecond")).doubleValue() > 0);
        assertTrue(first.containsKey("percentOfPeak"));
        assertEquals(3, ((java.util.List<?>) first.get("ops")).size());
    }

    /** The same kind of data for both the train and the t10k (test) split, of different images. */
    static void writeLearnableSplits(Path dir, int count) throws Exception {
        writeLearnableIdx(dir, count);
        Files.move(dir.resolve("train-images-idx3-ubyte"), dir.resolve("t10k-images-idx3-ubyte"));
        Files.move(dir.resolve("train-labels-idx1-ubyte"), dir.resolve("t10k-labels-idx1-ubyte"));
        writeLearnableIdx(dir, count);
    }

    /** Images whose class is the brightest quarter of the image: easy to learn, so the loss must fall. */
    static void writeLearnableIdx(Path dir, int count) throws Exception {
        Random random = new Random(9);
        byte[] pixels = new byte[count * 64];
        byte[] labels = new byte[count];
        for (int e = 0; e < count; e++) {
            int cls = random.nextInt(3);
            labels[e] = (byte) cls;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int region = y < 4 ? (x < 4 ? 0 : 1) : 2;
                    pixels[e * 64 + y * 8 + x] = (byte) (region == cls ? 150 + random.nextInt(100) : random.nextInt(60));
                }
            }
        }
        Idx.writeUnsignedBytes(dir.resolve("train-images-idx3-ubyte"), new int[] {count, 8, 8}, pixels);
        Idx.writeUnsignedBytes(dir.resolve("train-labels-idx1-ubyte"), new int[] {count}, labels);
    }
}
