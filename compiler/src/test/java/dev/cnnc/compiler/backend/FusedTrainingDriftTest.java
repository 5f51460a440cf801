package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Loss;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.Schedule;
import dev.cnnc.runtime.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fusion passes over a long run (issue 25): ResNet-20 (conv, batchnorm and relu chains,
 * residual adds with their relus, projection shortcuts) trained 300 SGD steps from one seed with
 * the fused build and with the unfused one stays within the float drift that two unfused builds
 * show between themselves (Winograd and direct convolutions: the same sums in another order).
 */
class FusedTrainingDriftTest {
    @Test
    void fusedResNet20StaysWithinTheDriftOfTwoUnfusedBuilds() throws Exception {
        CheckResult checked = Frontend.check(new SourceFile("resnet20_cifar.cnn", Files.readString(Path.of("../samples/resnet20_cifar.cnn"))));
        assertTrue(checked.ok(), checked.diagnostics().toString());
        CheckedModel model = checked.model();
        int count = 96;
        int batch = 16;
        SplittableRandom random = new SplittableRandom(11);
        float[] images = new float[count * 3 * 32 * 32];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = random.nextInt(10);
        }
        Dataset data = new Dataset("random", images, labels, null, 0, count, 3 * 32 * 32);
        float[] fused = train(model, data, batch, true, true);
        float[] unfused = train(model, data, batch, false, true);
        float[] unfusedDirect = train(model, data, batch, false, false);
        double drift = maxDifference(unfused, unfusedDirect);
        double gap = maxDifference(fused, unfused);
        System.out.printf("ResNet-20, 300 steps: fused vs unfused %.3g; unfused Winograd vs unfused direct %.3g%n", gap, drift);
        assertTrue(drift > 0, "the two unfused builds sum in different orders");
        assertTrue(gap <= Math.max(drift, 1e-5), "fused vs unfused " + gap + ", beyond the unfused builds' drift " + drift);
    }

    /**
     * The parameters after 300 steps of SGD (momentum 0.9, weight decay 1e-4 as the file's; lr 0.01, not its 0.1, which on
     * random labels makes any two runs diverge to the size of the weights and the bound meaningless), one seed for all builds.
     */
    private static float[] train(CheckedModel model, Dataset data, int batch, boolean fuse, boolean winograd) throws Exception {
        try (Network net = JavaBackend.build(model, batch, 2, new JavaBackend.Options(true, fuse, JavaEmitter.GROUP_BYTES, winograd))) {
            Initializer.pytorchDefault(net, 3);
            Optimizer sgd = Optimizer.sgd(net.parameters().length, 0.01, 0.9, false, 1e-4);
            new Trainer(net, sgd, new PrintStream(new ByteArrayOutputStream())).train(data, null,
                    new Trainer.Config(batch, 1, 300, true, 7, 0, Loss.CROSS_ENTROPY, 1.0, Schedule.CONSTANT, 0.01, 0, 0, null));
            return net.parameters().clone();
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs((double) a[i] - b[i]));
        }
        return worst;
    }
}
