package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Idx;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Features the README documents that no other test exercised, each asserted on a value. */
class DocumentedFeaturesTest {
    @Test
    void benchComparesWithPyTorchAndBetweenConvolutions(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("b.cnn");
        Files.writeString(cnn, "model B\ninput 10x10x8\nconv 8 3x3 pad same; relu\nflatten\ndense 3\n");
        CheckCommandTest.Run r = CheckCommandTest.run("bench", cnn.toString(), "--mode", "train", "--conv", "winograd,direct", "--compare", "torch",
                "--batch", "4", "--warmup", "0.2", "--repeat", "1", "--seconds", "0.3", "--threads", "1");
        assertEquals(0, r.exit(), r.out() + r.err());
        Matcher torch = Pattern.compile("PyTorch [^,]*, train, batch 4: ([0-9,]+) images/s; cnnc / PyTorch = ([0-9.]+)").matcher(r.out());
        assertTrue(torch.find(), r.out());
        assertTrue(Double.parseDouble(torch.group(2)) > 0 && Double.parseDouble(torch.group(1).replace(",", "")) > 0, r.out());
        Matcher builds = Pattern.compile("this build / the first Java build \\(train, same run\\) = ([0-9.]+)").matcher(r.out());
        assertTrue(builds.find(), r.out());
        assertTrue(r.out().contains("Winograd") && r.out().contains("direct"), r.out());
    }

    @Test
    void compileOptionsChangeTheCodeAndItStillCompiles(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("c.cnn");
        Files.writeString(cnn, "model C\ninput 10x10x8\nconv 8 3x3 pad same; relu\nmaxpool 2\nflatten\ndense 3\n");
        String plain = compile(dir, cnn, "standard");
        String noFuse = compile(dir, cnn, "nofuse", "--no-fuse");
        String noWinograd = compile(dir, cnn, "nowinograd", "--no-winograd");
        String noSimd = compile(dir, cnn, "nosimd", "--simd", "none");
        // the kernels are chosen by a flag the generated class passes to the runtime (Gemm.of(vector))
        assertTrue(plain.contains("Winograd") && plain.contains("Gemm.of(true)"), "the default uses Winograd and the Vector API");
        assertFalse(noWinograd.contains("Winograd"), "--no-winograd leaves Winograd out");
        assertTrue(noSimd.contains("Gemm.of(false)") && !noSimd.contains("Gemm.of(true)"), "--simd none uses the plain-Java kernels");
        assertTrue(opNames(noFuse).size() > opNames(plain).size(), "--no-fuse keeps relu and the pool as ops of their own: "
                + opNames(noFuse) + " vs " + opNames(plain));
    }

    private static List<String> opNames(String source) {
        Matcher m = Pattern.compile("OP_NAMES = List.of\\(([^)]*)\\)").matcher(source);
        assertTrue(m.find());
        return List.of(m.group(1).split(","));
    }

    /** `cnnc compile` into its own folder, then javac over the result against the runtime: it must build. */
    private static String compile(Path dir, Path cnn, String name, String... options) throws Exception {
        Path out = dir.resolve(name);
        String[] args = Stream.concat(Stream.of("compile", cnn.toString(), "-o", out.toString(), "--package", "p." + name), Stream.of(options))
                .toArray(String[]::new);
        CheckCommandTest.Run r = CheckCommandTest.run(args);
        assertEquals(0, r.exit(), r.err());
        Path java = out.resolve("p").resolve(name).resolve("C.java");
        int javac = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), "-d", dir.resolve(name + "-classes").toString(), java.toString());
        assertEquals(0, javac, name + ": the generated source compiles");
        return Files.readString(java);
    }

    @Test
    void lrOnTheCommandLineReplacesTheFilesRate(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY); // optimizer sgd lr 0.1
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableIdx(data, 64);
        byte[] file = trained(dir, cnn, data, "file");
        byte[] same = trained(dir, cnn, data, "same", "--lr", "1/10");
        byte[] other = trained(dir, cnn, data, "other", "--lr", "0.01");
        assertArrayEquals(file, same, "--lr 1/10 is the file's lr 0.1");
        assertFalse(java.util.Arrays.equals(file, other), "--lr 0.01 trains differently");
    }

    private static byte[] trained(Path dir, Path cnn, Path data, String name, String... extra) throws Exception {
        Path w = dir.resolve(name + ".safetensors");
        String[] args = Stream.concat(Stream.of("train", cnn.toString(), "--data", data.toString(), "--steps", "3", "--threads", "1", "--save",
                w.toString(), "--run-dir", dir.resolve("run-" + name).toString()), Stream.of(extra)).toArray(String[]::new);
        CheckCommandTest.Run r = CheckCommandTest.run(args);
        assertEquals(0, r.exit(), r.err());
        return Files.readAllBytes(w);
    }

    @Test
    void gradcheckTakesItsOptionsAndReportsEveryLayer(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("g.cnn");
        Files.writeString(cnn, "model G\ninput 6x6x2\nconv 3 3x3 pad same; tanh\nflatten\ndense 4\n");
        CheckCommandTest.Run r = CheckCommandTest.run("gradcheck", cnn.toString(), "--batch", "3", "--samples", "4", "--seed", "9");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("conv1") && r.out().contains("dense1"), r.out());
        CheckCommandTest.Run again = CheckCommandTest.run("gradcheck", cnn.toString(), "--batch", "3", "--samples", "4", "--seed", "9");
        assertEquals(r.out().replaceAll("[0-9.]+ s", ""), again.out().replaceAll("[0-9.]+ s", ""), "seeded: the same figures");
    }

    @Test
    void floatIdxImagesAndJpegImagesAreRead(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("f.cnn");
        Files.writeString(cnn, "model F\ninput 4x4x1\nflatten\ndense 2\ntrain { loss cross_entropy; optimizer adam lr 0.05; batch 8 }\n");
        Path data = Files.createDirectories(dir.resolve("data"));
        Random random = new Random(4);
        int count = 64;
        ByteBuffer images = ByteBuffer.allocate(4 + 12 + 4 * count * 16);
        images.putInt(0x0D03).putInt(count).putInt(4).putInt(4);
        byte[] labels = new byte[count];
        for (int e = 0; e < count; e++) {
            labels[e] = (byte) (e % 2);
            for (int i = 0; i < 16; i++) {
                images.putFloat((e % 2 == 0 ? 1f : -1f) * (0.5f + random.nextFloat())); // float pixels: the sign is the class
            }
        }
        Files.write(data.resolve("train-images-idx3-float"), images.array());
        Idx.writeUnsignedBytes(data.resolve("train-labels-idx1-ubyte"), new int[] {count}, labels);
        Path w = dir.resolve("w.safetensors");
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "3", "--save", w.toString(),
                "--run-dir", dir.resolve("run").toString());
        assertEquals(0, r.exit(), r.err());
        Matcher acc = Pattern.compile("epoch 3 .*train accuracy ([0-9.]+)").matcher(r.out());
        assertTrue(acc.find() && Double.parseDouble(acc.group(1)) > 0.95, "float images read as floats: " + r.out());

        // a JPEG, read and resized like a PNG
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                image.setRGB(x, y, 0x808080);
            }
        }
        Path jpeg = dir.resolve("grey.jpg");
        assertTrue(ImageIO.write(image, "jpeg", jpeg.toFile()));
        CheckCommandTest.Run p = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--image", jpeg.toString());
        assertEquals(0, p.exit(), p.err());
        assertTrue(p.out().startsWith(jpeg + ": class "), p.out());
    }
}
