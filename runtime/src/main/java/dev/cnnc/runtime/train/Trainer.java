package dev.cnnc.runtime.train;

import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.kernels.Ops;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Mini-batch training: shuffle (seeded) or file order, forward, loss and its gradient in one
 * pass, backward, optional L1, optimizer step; the learning rate follows the schedule per epoch.
 * Reports loss, accuracy (for classification) and images/s. A non-finite loss or gradient stops
 * training with the step and the first tensor affected.
 */
public final class Trainer {
    /** steps &lt;= 0 means run whole epochs. */
    public record Config(int batch, int epochs, long steps, boolean shuffle, long seed, int reportEvery, Loss loss, double huberDelta,
                         Schedule schedule, double baseLearningRate, double l1) {
    }

    /** Where to keep checkpoints (null: none), how often besides each epoch's end (0: only then), and a test hook. */
    public record Checkpoints(java.nio.file.Path dir, long every, Runnable beforeRename) {
        public static final Checkpoints NONE = new Checkpoints(null, 0, null);
    }

    /** What a run measured. */
    public record Result(long steps, double lastLoss, double imagesPerSecond, double testAccuracy) {
    }

    /** Training cannot go on (a non-finite loss or gradient); the message names the step. */
    public static final class Diverged extends RuntimeException {
        Diverged(String message) {
            super(message, null, false, false);
        }
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
        return train(train, test, config, Checkpoints.NONE, null);
    }

    /**
     * Trains from the start, or from {@code resume} (a checkpoint already loaded into the network
     * and optimizer): the same batches, masks and updates as a run never interrupted.
     */
    public Result train(Dataset train, Dataset test, Config config, Checkpoints checkpoints, Checkpoint resume) {
        int batch = Math.min(config.batch(), net.maxBatch());
        int width = net.outputSize();
        float[] x = new float[batch * net.inputSize()];
        int[] y = new int[batch];
        float[] t = new float[batch * width];
        float[] probabilities = new float[batch * width];
        float[] probabilityGradient = new float[batch * width];
        int[] order = new int[train.count()];
        // cross_entropy and nll take the logits when the model ends in softmax (nll of a softmax is cross-entropy)
        boolean logits = net.endsWithSoftmax() && (config.loss() == Loss.CROSS_ENTROPY || config.loss() == Loss.NLL);
        Loss loss = logits ? Loss.CROSS_ENTROPY : config.loss();
        boolean softmaxInTrainer = net.endsWithSoftmax() && !logits;
        Rng shuffler = new Rng(config.seed());
        net.setSeed(config.seed() ^ 0x9E3779B97F4A7C15L);
        long step = 0;
        int firstEpoch = 1;
        int firstBatch = 0;
        if (resume != null) {
            firstEpoch = resume.epoch();
            firstBatch = resume.batch();
            step = resume.step();
            shuffler.setState(resume.shuffleState());
            net.setRandomState(resume.dropoutState());
            out.printf(Locale.ROOT, "resuming at epoch %d, step %d%n", firstEpoch, step);
        }
        double lastLoss = Double.NaN;
        long started = System.nanoTime();
        long images = 0;
        int epochs = config.steps() > 0 ? Integer.MAX_VALUE : config.epochs();
        outer:
        for (int epoch = firstEpoch; epoch <= epochs; epoch++) {
            optimizer.setLearningRate(config.schedule().rate(config.baseLearningRate(), epoch - 1));
            // Each epoch's order depends only on the generator's state at its start, which checkpoints keep.
            long epochShuffleState = shuffler.state();
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            if (config.shuffle()) {
                for (int i = order.length - 1; i > 0; i--) {
                    int j = shuffler.nextInt(i + 1);
                    int tmp = order[i];
                    order[i] = order[j];
                    order[j] = tmp;
                }
            }
            double epochLoss = 0;
            long epochCorrect = 0;
            int epochSeen = 0;
            long epochStart = System.nanoTime();
            int startBatch = epoch == firstEpoch ? firstBatch : 0;
            firstBatch = 0;
            for (int from = startBatch * batch; from < train.count(); from += batch) {
                int n = Math.min(batch, train.count() - from);
                train.gather(order, from, n, x, y, t);
                net.forward(x, n, true);
                double value;
                if (softmaxInTrainer) {
                    Ops.softmax(net.output(), probabilities, n, width);
                    value = loss.lossAndGradient(probabilities, y, t, 0, n, width, config.huberDelta(), probabilityGradient);
                    Ops.softmaxBackward(probabilities, probabilityGradient, net.outputGradient(), n, width);
                } else {
                    value = loss.lossAndGradient(net.output(), y, t, 0, n, width, config.huberDelta(), net.outputGradient());
                }
                step++;
                if (!Double.isFinite(value)) {
                    throw new Diverged(String.format(Locale.ROOT, "the loss became %s at step %d (epoch %d); lower the learning rate "
                            + "or check the data's normalisation", value, step, epoch));
                }
                if (!train.regression()) {
                    epochCorrect += correct(net.output(), y, n, width);
                }
                net.backward(n);
                checkGradients(step);
                if (config.l1() > 0) {
                    Optimizer.addL1(net.parameters(), net.gradients(), config.l1());
                }
                optimizer.step(net.parameters(), net.gradients());
                lastLoss = value;
                images += n;
                epochLoss += value * n;
                epochSeen += n;
                if (config.reportEvery() > 0 && step % config.reportEvery() == 0) {
                    double seconds = (System.nanoTime() - started) / 1e9;
                    out.printf(Locale.ROOT, "step %d  loss %.4f  %.0f images/s%n", step, value, images / seconds);
                }
                int nextBatch = from / batch + 1;
                boolean stop = config.steps() > 0 && step >= config.steps();
                boolean lastOfEpoch = from + batch >= train.count();
                if (checkpoints.dir() != null) {
                    if (!lastOfEpoch && (stop || checkpoints.every() > 0 && step % checkpoints.every() == 0)) {
                        save(checkpoints, new Checkpoint(epoch, nextBatch, step, epochShuffleState, net.randomState()));
                    } else if (lastOfEpoch && stop) {
                        save(checkpoints, new Checkpoint(epoch + 1, 0, step, shuffler.state(), net.randomState()));
                    }
                }
                if (stop) {
                    break outer;
                }
            }
            if (checkpoints.dir() != null) {
                save(checkpoints, new Checkpoint(epoch + 1, 0, step, shuffler.state(), net.randomState()));
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            out.printf(Locale.ROOT, "epoch %d  loss %.4f%s  %.1f s  %.0f images/s%n", epoch, epochLoss / epochSeen,
                    train.regression() ? "" : String.format(Locale.ROOT, "  train accuracy %.4f", epochCorrect / (double) epochSeen),
                    seconds, epochSeen / seconds);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double accuracy = test == null || test.regression() ? Double.NaN : accuracy(test, batch);
        if (!Double.isNaN(accuracy)) {
            out.printf(Locale.ROOT, "test accuracy %.4f (%d images)%n", accuracy, test.count());
        }
        return new Result(step, lastLoss, images / seconds, accuracy);
    }

    private void save(Checkpoints checkpoints, Checkpoint checkpoint) {
        try {
            checkpoint.save(checkpoints.dir(), net, optimizer, checkpoints.beforeRename());
        } catch (java.io.IOException e) {
            throw new Diverged("cannot write a checkpoint in " + checkpoints.dir() + ": " + e.getMessage());
        }
    }

    /** The first tensor, in layer order, whose gradient is not finite. */
    private void checkGradients(long step) {
        float[] g = net.gradients();
        for (TensorInfo info : net.tensors()) {
            if (!info.trainable()) {
                continue;
            }
            for (int i = info.offset(); i < info.offset() + info.size(); i++) {
                if (!Float.isFinite(g[i])) {
                    throw new Diverged(String.format(Locale.ROOT, "the gradient of %s became %s at step %d; lower the learning rate "
                            + "or check the data's normalisation", info.name(), g[i], step));
                }
            }
        }
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
            data.gather(order, from, n, x, y, null);
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
