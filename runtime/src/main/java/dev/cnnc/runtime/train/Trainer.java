package dev.cnnc.runtime.train;

import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.Dataset;
import java.io.PrintStream;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Mini-batch training with cross-entropy: shuffle (seeded) or file order, forward, loss and
 * its gradient in one pass, backward, optimizer step. Reports loss, accuracy and images/s.
 */
public final class Trainer {
    /** steps &lt;= 0 means run whole epochs. */
    public record Config(int batch, int epochs, long steps, boolean shuffle, long seed, int reportEvery) {
    }

    /** What a run measured. */
    public record Result(long steps, double lastLoss, double imagesPerSecond, double testAccuracy) {
    }

    private final Network net;
    private final Optimizer optimizer;
    private final PrintStream out;

    public Trainer(Network net, Optimizer optimizer, PrintStream out) {
        this.net = net;
        this.optimizer = optimizer;
        this.out = out;
    }

    public Result train(Dataset train, Dataset test, Config config) {
        int batch = Math.min(config.batch(), net.maxBatch());
        float[] x = new float[batch * net.inputSize()];
        int[] y = new int[batch];
        int[] order = new int[train.count()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom shuffler = new SplittableRandom(config.seed());
        net.setSeed(config.seed() ^ 0x9E3779B97F4A7C15L);
        long step = 0;
        double loss = Double.NaN;
        long started = System.nanoTime();
        long images = 0;
        int epochs = config.steps() > 0 ? Integer.MAX_VALUE : config.epochs();
        outer:
        for (int epoch = 1; epoch <= epochs; epoch++) {
            if (config.shuffle()) {
                for (int i = order.length - 1; i > 0; i--) {
                    int j = shuffler.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            double epochLoss = 0;
            long epochCorrect = 0;
            int epochSeen = 0;
            long epochStart = System.nanoTime();
            for (int from = 0; from < train.count(); from += batch) {
                int n = Math.min(batch, train.count() - from);
                train.gather(order, from, n, x, y);
                net.forward(x, n, true);
                loss = SoftmaxCrossEntropy.lossAndGradient(net.output(), y, 0, n, net.outputSize(), net.outputGradient());
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException(String.format(Locale.ROOT, "the loss became %s at step %d; lower the learning rate", loss, step + 1));
                }
                epochCorrect += correct(net.output(), y, n, net.outputSize());
                net.backward(n);
                optimizer.step(net.parameters(), net.gradients());
                step++;
                images += n;
                epochLoss += loss * n;
                epochSeen += n;
                if (config.reportEvery() > 0 && step % config.reportEvery() == 0) {
                    double seconds = (System.nanoTime() - started) / 1e9;
                    out.printf(Locale.ROOT, "step %d  loss %.4f  %.0f images/s%n", step, loss, images / seconds);
                }
                if (config.steps() > 0 && step >= config.steps()) {
                    break outer;
                }
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            out.printf(Locale.ROOT, "epoch %d  loss %.4f  train accuracy %.4f  %.1f s  %.0f images/s%n", epoch, epochLoss / epochSeen,
                    epochCorrect / (double) epochSeen, seconds, epochSeen / seconds);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double accuracy = test == null ? Double.NaN : accuracy(test, batch);
        if (test != null) {
            out.printf(Locale.ROOT, "test accuracy %.4f (%d images)%n", accuracy, test.count());
        }
        return new Result(step, loss, images / seconds, accuracy);
    }

    /** Accuracy in inference mode. */
    public double accuracy(Dataset data, int batch) {
        batch = Math.min(batch, net.maxBatch());
        float[] x = new float[batch * net.inputSize()];
        int[] y = new int[batch];
        int[] order = new int[data.count()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        long right = 0;
        for (int from = 0; from < data.count(); from += batch) {
            int n = Math.min(batch, data.count() - from);
            data.gather(order, from, n, x, y);
            net.forward(x, n, false);
            right += correct(net.output(), y, n, net.outputSize());
        }
        return right / (double) data.count();
    }

    static int correct(float[] scores, int[] labels, int n, int classes) {
        int right = 0;
        for (int b = 0; b < n; b++) {
            int best = 0;
            for (int i = 1; i < classes; i++) {
                if (scores[b * classes + i] > scores[b * classes + best]) {
                    best = i;
                }
            }
            if (best == labels[b]) {
                right++;
            }
        }
        return right;
    }
}
