package com.example.fashion;

import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.train.Evaluation;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Loss;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.Schedule;
import dev.cnnc.runtime.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** Trains the generated {@link FashionNet} (from src/main/cnn) with cnnc's runtime. */
public final class Classifier implements AutoCloseable {
    public static final IdxDataDir.Spec SPEC = new IdxDataDir.Spec(1, 28, 28, 10, 1f / 255, new float[] {0.2860f}, new float[] {0.3530f});

    private final FashionNet net = new FashionNet(32, Runtime.getRuntime().availableProcessors());
    private final Trainer trainer;

    public Classifier(long seed, PrintStream log) {
        Initializer.pytorchDefault(net, seed);
        net.setSeed(seed);
        trainer = new Trainer(net, Optimizer.adam(net.parameters().length, 0.002, 0.9, 0.999, 1e-8, 0), log);
    }

    public static Dataset trainingData(Path dir) throws IOException, Idx.BadFile {
        return IdxDataDir.train(dir, SPEC);
    }

    public static Dataset testData(Path dir) throws IOException, Idx.BadFile {
        return IdxDataDir.test(dir, SPEC);
    }

    /** Takes {@code steps} Adam steps on shuffled batches of 32. */
    public Trainer.Result train(Dataset data, long steps, long seed) {
        return trainer.train(data, null, config(steps, seed));
    }

    public Evaluation evaluate(Dataset data) {
        return trainer.evaluate(data, 32, config(0, 0));
    }

    private static Trainer.Config config(long steps, long seed) {
        return new Trainer.Config(32, 1, steps, true, seed, 0, Loss.CROSS_ENTROPY, 1.0, Schedule.CONSTANT, 0.002, 0, 0, null);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "../data/fashion-mnist-small");
        try (Classifier c = new Classifier(1, System.out)) {
            c.train(trainingData(dir), 300, 1);
            System.out.println("test accuracy " + c.evaluate(testData(dir)).accuracy());
        }
    }

    @Override
    public void close() {
        net.close();
    }
}
