package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer learning from the command line, the whole story on real data (Debian's full
 * Fashion-MNIST, which CI installs): the Fashion net trained for an epoch on the five even classes
 * (T-shirt, pullover, coat, sandal, bag), exported to ONNX, imported back, its head replaced by
 * one for the five odd classes (trouser, dress, sneaker, shirt, ankle boot), and fine-tuned there
 * on 600 examples with its conv features frozen; it beats the same net trained from scratch for
 * the same steps on the same examples, and the frozen layers' weights are exactly those it was given.
 */
class FineTuneTest {
    static final String BODY = "conv 32 3x3 pad same\nmaxpool 2\nrelu\nconv 64 3x3 pad same; maxpool 2; relu\nflatten\ndense 128\nrelu\n";
    static final String TRAIN = "train {\n  loss cross_entropy\n  optimizer adam lr 0.001\n  batch 64\n  normalize scale 1/255\n}\n";

    @Test
    void frozenPretrainedFeaturesBeatTrainingFromScratch(@TempDir Path dir) throws Exception {
        Path even = split(dir.resolve("even"), new int[] {0, 2, 4, 6, 8}, Integer.MAX_VALUE);
        Path odd = split(dir.resolve("odd"), new int[] {1, 3, 5, 7, 9}, 600);
        Path cnnA = dir.resolve("a.cnn");
        Files.writeString(cnnA, "model FashionEven\ninput 28x28x1\n" + BODY + "dense 5\n" + TRAIN);
        Path weightsA = dir.resolve("a.safetensors");
        run("train", cnnA.toString(), "--data", even.toString(), "--epochs", "1", "--save", weightsA.toString(), "--run-dir", dir.resolve("runA").toString());
        Path onnx = dir.resolve("fashion_even.onnx");
        run("export", cnnA.toString(), "--weights", weightsA.toString(), "-o", onnx.toString());
        Path imported = dir.resolve("imported.cnn");
        run("import", onnx.toString(), "-o", imported.toString());
        String text = Files.readString(imported);
        assertTrue(text.endsWith("dense 5\n"), text);
        // the same net with a train section; its head (dense2) is for other classes, so it starts afresh (--init-skip)
        Path tuned = dir.resolve("tuned.cnn");
        Files.writeString(tuned, text + TRAIN);
        Path weightsB = dir.resolve("tuned.safetensors");
        String steps = "30";
        CheckCommandTest.Run fine = run("train", tuned.toString(), "--data", odd.toString(), "--steps", steps, "--init", dir.resolve("imported.safetensors").toString(),
                "--init-skip", "dense2", "--freeze", "relu2", "--save", weightsB.toString(), "--run-dir", dir.resolve("runB").toString());
        assertTrue(fine.out().contains("init: 6 of 8 tensors from " + dir.resolve("imported.safetensors") + "; initialised afresh: dense2.weight (its layer is left out),"
                + " dense2.bias (its layer is left out)"), fine.out());
        assertTrue(fine.out().contains("freeze: 18,816 of 420,997 parameters (conv1, maxpool1, relu1, conv2, maxpool2, relu2); their backward is skipped"),
                fine.out());
        CheckCommandTest.Run scratch = run("train", tuned.toString(), "--data", odd.toString(), "--steps", steps, "--run-dir", dir.resolve("runC").toString());
        double tunedAccuracy = accuracy(fine.out()), scratchAccuracy = accuracy(scratch.out());
        System.out.printf("fine-tuned with frozen features: test accuracy %.4f; from scratch: %.4f (%s steps each on 600 examples of 5 new classes)%n",
                tunedAccuracy, scratchAccuracy, steps);
        assertTrue(tunedAccuracy > scratchAccuracy + 0.01, tunedAccuracy + " fine-tuned vs " + scratchAccuracy + " from scratch");

        Map<String, Map.Entry<int[], float[]>> given = Safetensors.read(dir.resolve("imported.safetensors")), after = Safetensors.read(weightsB);
        for (String frozen : List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias")) {
            assertTrue(java.util.Arrays.equals(given.get(frozen).getValue(), after.get(frozen).getValue()), frozen + " changed");
        }
        assertTrue(!java.util.Arrays.equals(given.get("dense1.weight").getValue(), after.get("dense1.weight").getValue()), "dense1 trained");
    }

    /**
     * A file's {@code freeze ... bn eval}: the frozen batchnorm's running statistics stay those it
     * was given (it normalises with them), while without {@code bn eval} the frozen batchnorm still
     * tracks the batches' statistics, as a PyTorch module with requires_grad off but in train mode.
     */
    @Test
    void bnEvalKeepsFrozenBatchNormStatistics(@TempDir Path dir) throws Exception {
        Path data = split(dir.resolve("odd"), new int[] {1, 3, 5, 7, 9}, 600);
        String body = "model Bn\ninput 28x28x1\nconv 8 3x3 pad same\nbatchnorm\nrelu\nmaxpool 2\nconv 8 3x3\nbatchnorm\nrelu\nflatten\ndense 5\n";
        Path plain = dir.resolve("bn.cnn");
        Files.writeString(plain, body + TRAIN);
        Path start = dir.resolve("start.safetensors");
        run("train", plain.toString(), "--data", data.toString(), "--steps", "5", "--save", start.toString(), "--run-dir", dir.resolve("r0").toString());
        for (boolean eval : new boolean[] {true, false}) {
            Path cnn = dir.resolve("frozen" + eval + ".cnn");
            Files.writeString(cnn, body + TRAIN.replace("}", "  freeze relu1" + (eval ? " bn eval" : "") + "\n}"));
            Path out = dir.resolve("out" + eval + ".safetensors");
            CheckCommandTest.Run r = run("train", cnn.toString(), "--data", data.toString(), "--steps", "5", "--init", start.toString(), "--save", out.toString(),
                    "--run-dir", dir.resolve("r" + eval).toString());
            assertEquals(eval, r.out().contains("; their batchnorms in inference mode"), r.out());
            Map<String, Map.Entry<int[], float[]>> before = Safetensors.read(start), after = Safetensors.read(out);
            for (String t : List.of("batchnorm1.running_mean", "batchnorm1.running_var")) {
                assertEquals(eval, java.util.Arrays.equals(before.get(t).getValue(), after.get(t).getValue()), t + " kept, bn eval " + eval);
            }
            for (String t : List.of("conv1.weight", "batchnorm1.weight", "batchnorm1.bias")) {
                assertTrue(java.util.Arrays.equals(before.get(t).getValue(), after.get(t).getValue()), t + " frozen");
            }
            assertTrue(!java.util.Arrays.equals(before.get("batchnorm2.running_mean").getValue(), after.get("batchnorm2.running_mean").getValue()),
                    "batchnorm2 trains and tracks its statistics");
        }
        // a resume asks for the freeze its run had: another is refused, naming the flags
        CheckCommandTest.Run other = CheckCommandTest.run("train", dir.resolve("frozentrue.cnn").toString(), "--data", data.toString(), "--steps", "7",
                "--resume", dir.resolve("rtrue").toString(), "--freeze", "conv2");
        assertEquals(2, other.exit(), other.out() + other.err());
        assertTrue(other.err().contains("the checkpoint's run used freeze none or the file's, this one asks for through conv2; an exact resume needs the same"
                + " (--freeze, --freeze-only or --bn-eval as the first run had it)"), other.err());
        CheckCommandTest.Run same = CheckCommandTest.run("train", dir.resolve("frozentrue.cnn").toString(), "--data", data.toString(), "--steps", "7",
                "--resume", dir.resolve("rtrue").toString());
        assertEquals(0, same.exit(), same.out() + same.err());
    }

    private static CheckCommandTest.Run run(String... args) {
        CheckCommandTest.Run r = CheckCommandTest.run(args);
        assertEquals(0, r.exit(), String.join(" ", args) + "\n" + r.out() + r.err());
        return r;
    }

    private static double accuracy(String out) {
        Matcher m = Pattern.compile("test accuracy ([0-9.]+) \\(").matcher(out);
        double last = Double.NaN;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        assertTrue(!Double.isNaN(last), out);
        return last;
    }

    /**
     * Debian's Fashion-MNIST's examples of {@code classes} (relabelled 0, 1, ... in that order), at
     * most {@code limit} training ones, as an IDX folder.
     */
    private static Path split(Path dir, int[] classes, int limit) throws Exception {
        Files.createDirectories(dir);
        Path src = Path.of("/usr/share/datasets/fashion-mnist");
        assertTrue(Files.isDirectory(src), "this test trains on Debian's Fashion-MNIST: apt-get install dataset-fashion-mnist");
        for (String part : List.of("train", "t10k")) {
            Idx.Array images = Idx.read(src.resolve(part + "-images-idx3-ubyte.gz"));
            Idx.Array labels = Idx.read(src.resolve(part + "-labels-idx1-ubyte.gz"));
            List<Integer> kept = new ArrayList<>();
            List<Integer> label = new ArrayList<>();
            for (int i = 0; i < labels.count() && (part.equals("t10k") || kept.size() < limit); i++) {
                int y = (int) labels.values()[i];
                for (int c = 0; c < classes.length; c++) {
                    if (classes[c] == y) {
                        kept.add(i);
                        label.add(c);
                    }
                }
            }
            int size = images.exampleSize();
            byte[] x = new byte[kept.size() * size], y = new byte[kept.size()];
            for (int k = 0; k < kept.size(); k++) {
                int i = kept.get(k);
                for (int j = 0; j < size; j++) {
                    x[k * size + j] = (byte) images.values()[i * size + j];
                }
                y[k] = (byte) (int) label.get(k);
            }
            Idx.writeUnsignedBytes(dir.resolve(part + "-images-idx3-ubyte"), new int[] {kept.size(), 28, 28}, x);
            Idx.writeUnsignedBytes(dir.resolve(part + "-labels-idx1-ubyte"), new int[] {kept.size()}, y);
        }
        return dir;
    }
}
