package dev.cnnc.spark;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.train.DataSpecs;
import dev.cnnc.runtime.train.Initializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The Fashion net and its data for the tests, and the in-process reference runs they compare Spark's with. */
final class TestData {
    static final Path MODEL = Path.of("..", "samples", "fashion_mnist.cnn");
    private static final Path DEBIAN = Path.of("/usr/share/datasets/fashion-mnist");

    private TestData() {
    }

    /** Debian's Fashion-MNIST (CI installs it), else the subset shipped in samples/data. */
    static Path data() {
        return Files.isDirectory(DEBIAN) ? DEBIAN : Path.of("..", "samples", "data", "fashion-mnist-small");
    }

    static String text() throws IOException {
        return Files.readString(MODEL);
    }

    static CheckedModel model() throws IOException {
        return Replica.check(MODEL.toString(), text());
    }

    static IdxSplits train() throws Exception {
        return IdxSplits.open(data(), "train", DataSpecs.of(model()), true);
    }

    /** A run's loss at every step and its final parameters. */
    record Run(float[] losses, float[] parameters) {
    }

    /**
     * {@code workers} replicas stepping together in this JVM, their slices' arrays summed in
     * worker order, as Spark's workers do (for two workers the ring's sum is the same bits);
     * with {@code reversed}, each slice's examples in reverse order (the same batch, only the
     * float sums in another order).
     */
    static Run replicas(int workers, int batch, long steps, long seed, boolean reversed) throws Exception {
        CheckedModel model = model();
        IdxSplits data = train();
        List<Example> all = data.read(0, data.count());
        EpochPlan plan = new EpochPlan(data.count(), batch, workers, true, seed);
        int epochs = model.train().epochs();
        Replica[] replicas = new Replica[workers];
        for (int w = 0; w < workers; w++) {
            replicas[w] = new Replica(model, text(), epochs, model.train().optimizer().lr(), seed, w, (batch + workers - 1) / workers, 1);
            Initializer.pytorchDefault(replicas[w].net, seed);
        }
        List<Float> losses = new ArrayList<>();
        long step = 0;
        for (int epoch = 1; step < steps; epoch++) {
            int[] positions = plan.positions(plan.shuffleStateAt(epoch));
            int[] order = new int[positions.length];
            for (int i = 0; i < positions.length; i++) {
                order[positions[i]] = i;
            }
            for (Replica r : replicas) {
                r.optimizer.setLearningRate(r.schedule.rate(r.baseRate, epoch - 1));
            }
            for (int k = 0; k < plan.batches() && step < steps; k++) {
                float[] sum = null;
                for (int w = 0; w < workers; w++) {
                    List<Example> slice = new ArrayList<>();
                    for (long p = plan.sliceStart(k, w); p < plan.sliceStart(k, w + 1); p++) {
                        slice.add(all.get(order[(int) p]));
                    }
                    if (reversed) {
                        Collections.reverse(slice);
                    }
                    replicas[w].load(slice);
                    float[] part = replicas[w].slice(slice.size(), plan.batchSize(k), step, seed, w);
                    if (sum == null) {
                        sum = part.clone();
                    } else {
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] += part[i];
                        }
                    }
                }
                for (Replica r : replicas) {
                    r.apply(sum.clone(), step + 1);
                }
                losses.add(sum[replicas[0].lossIndex()]);
                step++;
            }
        }
        float[] out = new float[losses.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = losses.get(i);
        }
        return new Run(out, replicas[0].net.parameters().clone());
    }

    /**
     * One machine's 200 steps (batch 64, seed 5) and the drift the order of float sums explains:
     * the difference between that run and the same with the examples inside each batch reversed.
     */
    record Drift(Run one, double loss, double weights) {
        /**
         * Losses (or null) and weights of a run of the same steps on several workers, held to one
         * machine's: within four times the drift, with a floor for runs where the drift is tiny.
         */
        void assertClose(float[] losses, float[] parameters) {
            double lossGap = losses == null ? 0 : maxDifference(one.losses(), losses);
            double weightGap = maxDifference(one.parameters(), parameters);
            System.out.printf("summation-order drift over %d steps: loss %.3g, weights %.3g; the workers vs 1 machine: loss %.3g, weights %.3g%n",
                    one.losses().length, loss, weights, lossGap, weightGap);
            if (!(loss > 0 && weights > 0)) {
                throw new AssertionError("reordering a batch's sums should move the bits");
            }
            if (lossGap > 4 * Math.max(loss, 1e-4) || weightGap > 4 * Math.max(weights, 1e-5)) {
                throw new AssertionError(String.format("beyond the summation-order drift: loss %.3g (drift %.3g), weights %.3g (drift %.3g)",
                        lossGap, loss, weightGap, weights));
            }
        }
    }

    private static Drift drift;

    static synchronized Drift drift() throws Exception {
        if (drift == null) {
            Run one = replicas(1, 64, 200, 5, false);
            Run reordered = replicas(1, 64, 200, 5, true);
            drift = new Drift(one, maxDifference(one.losses(), reordered.losses()), maxDifference(one.parameters(), reordered.parameters()));
        }
        return drift;
    }

    /** The largest |a - b| over two arrays of one length. */
    static double maxDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths " + a.length + " and " + b.length);
        }
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs((double) a[i] - b[i]));
        }
        return worst;
    }
}
