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
    /** steps &lt;= 0 means run whole epochs; patience &lt;= 0 means no early stopping. */
    public record Config(int batch, int epochs, long steps, boolean shuffle, long seed, int reportEvery, Loss loss, double huberDelta,
                         Schedule schedule, double baseLearningRate, double l1, int patience, Augmenter augmenter) {
    }

    /**
     * Where to keep checkpoints (null: none), how often besides each epoch's end (0: only then), a
     * test hook, and the run's settings that an exact resume depends on (saved in each checkpoint).
     */
    public record Checkpoints(java.nio.file.Path dir, long every, Runnable beforeRename, java.util.Map<String, String> settings) {
        public static final Checkpoints NONE = new Checkpoints(null, 0, null, java.util.Map.of());

        public Checkpoints(java.nio.file.Path dir, long every, Runnable beforeRename) {
            this(dir, every, beforeRename, java.util.Map.of());
        }
    }

    /** What a run measured; test is null without a test set. */
    public record Result(long steps, double lastLoss, double imagesPerSecond, Evaluation test) {
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
    private Metrics metrics;
    private EpochListener listener;
    private boolean terminal;
    private java.util.function.Consumer<Network> afterForward;

    public Trainer(Network net, Optimizer optimizer, PrintStream out) {
        this.net = net;
        this.optimizer = optimizer;
        this.out = out;
    }

    /** Writes metrics.csv and metrics.json after every epoch. */
    public Trainer metrics(Metrics m) {
        this.metrics = m;
        return this;
    }

    /** Called after every epoch (with the metrics recorded so far) and after the test evaluation. */
    public Trainer listener(EpochListener l) {
        this.listener = l;
        return this;
    }

    /**
     * Runs after every training forward, before the loss (tests read the dropout masks there, to
     * train PyTorch with the same ones); null for none.
     */
    public Trainer afterForward(java.util.function.Consumer<Network> hook) {
        this.afterForward = hook;
        return this;
    }

    /** Draws a progress bar on one line (for terminals) instead of printing only epoch summaries. */
    public Trainer terminal(boolean isTerminal) {
        this.terminal = isTerminal;
        return this;
    }

    public Result train(Dataset train, Dataset test, Config config) {
        return train(train, null, test, config, Checkpoints.NONE, null);
    }

    /**
     * Trains from the start, or from {@code resume} (a checkpoint already loaded into the network
     * and optimizer): the same batches, masks and updates as a run never interrupted.
     * {@code validation} (or else {@code test}) is evaluated after every epoch; with patience,
     * training stops when its loss has not improved for that many epochs and the best weights
     * are restored.
     */
    public Result train(Dataset train, Dataset validation, Dataset test, Config config, Checkpoints checkpoints, Checkpoint resume) {
        int batch = Math.min(config.batch(), net.maxBatch());
        int width = net.outputSize();
        // a class for each pixel of a segmentation model's HxWxK output, else one an example
        int pixels = train.regression() ? 1 : train.labelWidth();
        float[] x = new float[batch * net.inputSize()];
        int[] y = new int[batch * pixels];
        float[] t = new float[batch * width];
        float[] probabilities = new float[batch * width];
        float[] probabilityGradient = new float[batch * width];
        int[] order = new int[train.count()];
        // cross_entropy and nll take the logits when the model ends in softmax (nll of a softmax is cross-entropy)
        boolean logits = net.endsWithSoftmax() && (config.loss() == Loss.CROSS_ENTROPY || config.loss() == Loss.NLL);
        Loss loss = logits ? Loss.CROSS_ENTROPY : config.loss();
        boolean softmaxInTrainer = net.endsWithSoftmax() && !logits;
        // On a device backend the loss runs where the logits are: labels go in, loss and predictions come out.
        boolean deviceLoss = loss == Loss.CROSS_ENTROPY && !softmaxInTrainer && !train.regression() && pixels == 1 && net.lossOnDevice();
        int[] predicted = new int[batch];
        Dataset watched = validation != null ? validation : test;
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
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        int sinceBest = 0;
        float[] bestParams = null;
        float[] bestState = null;
        long started = System.nanoTime();
        long images = 0;
        int epochs = config.steps() > 0 ? Integer.MAX_VALUE : config.epochs();
        int batchesPerEpoch = (train.count() + batch - 1) / batch;
        outer:
        for (int epoch = firstEpoch; epoch <= epochs; epoch++) {
            double rate = config.schedule().rate(config.baseLearningRate(), epoch - 1);
            optimizer.setLearningRate(rate);
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
            // A resumed epoch carries on the sums of its part run before the checkpoint.
            Checkpoint.EpochSoFar soFar = epoch == firstEpoch && resume != null && firstBatch > 0 ? resume.soFar() : Checkpoint.EpochSoFar.NONE;
            double epochLoss = soFar.lossSum();
            long epochCorrect = soFar.correct();
            int epochSeen = soFar.seen();
            long epochStart = System.nanoTime() - (long) (soFar.seconds() * 1e9);
            long lastDrawn = 0;
            int startBatch = epoch == firstEpoch ? firstBatch : 0;
            firstBatch = 0;
            boolean stopped = false;
            for (int from = startBatch * batch; from < train.count(); from += batch) {
                int n = Math.min(batch, train.count() - from);
                train.gather(order, from, n, x, y, t);
                if (config.augmenter() != null) {
                    config.augmenter().apply(x, n, step);
                }
                net.forward(x, n, true);
                if (afterForward != null) {
                    afterForward.accept(net);
                }
                double value;
                if (deviceLoss) {
                    value = net.crossEntropy(y, 0, n, predicted);
                } else if (softmaxInTrainer) {
                    Ops.softmax(net.output(), probabilities, n, width);
                    value = loss.lossAndGradient(probabilities, y, t, 0, n, width, config.huberDelta(), probabilityGradient);
                    Ops.softmaxBackward(probabilities, probabilityGradient, net.outputGradient(), n, width);
                } else {
                    value = loss.lossAndGradient(net.output(), y, t, 0, n, width, pixels, config.huberDelta(), net.outputGradient());
                }
                step++;
                if (!Double.isFinite(value)) {
                    throw new Diverged(String.format(Locale.ROOT, "the loss became %s at step %d (epoch %d); lower the learning rate "
                            + "or check the data's normalisation", value, step, epoch));
                }
                if (!train.regression()) {
                    epochCorrect += deviceLoss ? matches(predicted, y, n) : correct(net.output(), y, n, width / pixels, pixels);
                }
                net.backward(n);
                if (net.gradientsOnHost()) {
                    checkGradients(net, step); // on a device a non-finite gradient shows in the next step's loss instead
                }
                net.step(optimizer, config.l1());
                lastLoss = value;
                images += n;
                epochLoss += value * n;
                epochSeen += n;
                int done = from / batch + 1;
                if (terminal && (System.nanoTime() - lastDrawn > 200_000_000L || done == batchesPerEpoch)) {
                    lastDrawn = System.nanoTime();
                    drawProgress(epoch, epochs, done, batchesPerEpoch, epochLoss / epochSeen,
                            train.regression() ? Double.NaN : epochCorrect / ((double) epochSeen * pixels), epochSeen, epochStart);
                }
                if (config.reportEvery() > 0 && step % config.reportEvery() == 0 && !terminal) {
                    double seconds = (System.nanoTime() - started) / 1e9;
                    out.printf(Locale.ROOT, "step %d  loss %.4f  %.0f images/s%n", step, value, images / seconds);
                }
                int nextBatch = done;
                boolean stop = config.steps() > 0 && step >= config.steps();
                boolean lastOfEpoch = from + batch >= train.count();
                if (checkpoints.dir() != null) {
                    if (!lastOfEpoch && (stop || checkpoints.every() > 0 && step % checkpoints.every() == 0)) {
                        save(checkpoints, new Checkpoint(epoch, nextBatch, step, epochShuffleState, net.randomState(),
                                new Checkpoint.EpochSoFar(epochLoss, epochCorrect, epochSeen, (System.nanoTime() - epochStart) / 1e9),
                                checkpoints.settings()));
                    } else if (lastOfEpoch && stop) {
                        save(checkpoints, new Checkpoint(epoch + 1, 0, step, shuffler.state(), net.randomState(), Checkpoint.EpochSoFar.NONE,
                                checkpoints.settings()));
                    }
                }
                if (stop) {
                    stopped = true;
                    break;
                }
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            double trainLoss = epochLoss / Math.max(1, epochSeen);
            double trainAccuracy = train.regression() ? Double.NaN : epochCorrect / ((double) Math.max(1, epochSeen) * pixels);
            Evaluation val = watched == null || stopped ? null : evaluate(watched, batch, config);
            if (terminal) {
                out.print("\r\033[K");
            }
            out.printf(Locale.ROOT, "epoch %d  loss %.4f%s%s  %.1f s  %.0f images/s%n", epoch, trainLoss,
                    train.regression() ? "" : String.format(Locale.ROOT, "  train accuracy %.4f", trainAccuracy),
                    val == null ? "" : String.format(Locale.ROOT, "  %s loss %.4f%s", validation != null ? "val" : "test", val.loss(),
                            Double.isNaN(val.accuracy()) ? "" : String.format(Locale.ROOT, "  %s accuracy %.4f",
                                    validation != null ? "val" : "test", val.accuracy())),
                    seconds, epochSeen / seconds);
            record(new Metrics.Epoch(epoch, trainLoss, trainAccuracy, val == null ? Double.NaN : val.loss(),
                    val == null ? Double.NaN : val.accuracy(), rate, seconds, epochSeen / seconds));
            if (listener != null && metrics != null) {
                boolean improves = config.patience() > 0 && val != null && val.loss() < bestLoss;
                listener.epochEnded(metrics.epochs(), val, config.patience() > 0 && val != null ? (improves ? epoch : bestEpoch) : 0);
            }
            if (stopped) {
                break;
            }
            if (checkpoints.dir() != null) {
                save(checkpoints, new Checkpoint(epoch + 1, 0, step, shuffler.state(), net.randomState(), Checkpoint.EpochSoFar.NONE,
                        checkpoints.settings()));
            }
            if (config.patience() > 0 && val != null) {
                if (val.loss() < bestLoss) {
                    bestLoss = val.loss();
                    bestEpoch = epoch;
                    sinceBest = 0;
                    bestParams = net.parameters().clone();
                    bestState = net.state().clone();
                } else if (++sinceBest >= config.patience()) {
                    System.arraycopy(bestParams, 0, net.parameters(), 0, bestParams.length);
                    System.arraycopy(bestState, 0, net.state(), 0, bestState.length);
                    out.printf(Locale.ROOT, "early stopping: the %s loss has not improved for %d epochs; restored the weights of epoch %d%n",
                            validation != null ? "validation" : "test", sinceBest, bestEpoch);
                    break;
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Evaluation testResult = test == null ? null : evaluate(test, batch, config);
        if (testResult != null) {
            out.printf(Locale.ROOT, "test loss %.4f%s (%d images%s)%n", testResult.loss(),
                    Double.isNaN(testResult.accuracy()) ? "" : String.format(Locale.ROOT, "  test accuracy %.4f", testResult.accuracy()),
                    testResult.count(), pixels > 1 ? String.format(Locale.ROOT, "; accuracy and confusion count their %,d pixels",
                            (long) testResult.count() * pixels) : "");
            out.print(testResult.confusionText());
            if (listener != null) {
                listener.tested(testResult);
            }
            if (metrics != null) {
                try {
                    metrics.test(testResult);
                } catch (java.io.IOException e) {
                    throw new Diverged("cannot write the metrics: " + dev.cnnc.runtime.io.IoMessages.reason(null, e));
                }
            }
        }
        return new Result(step, lastLoss, images / seconds, testResult);
    }

    private void record(Metrics.Epoch e) {
        if (metrics != null) {
            try {
                metrics.add(e);
            } catch (java.io.IOException ex) {
                throw new Diverged("cannot write the metrics: " + dev.cnnc.runtime.io.IoMessages.reason(null, ex));
            }
        }
    }

    private void drawProgress(int epoch, int epochs, int done, int total, double loss, double accuracy, int seen, long epochStart) {
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        int width = 30;
        int filled = (int) ((long) width * done / total);
        double eta = done == 0 ? 0 : seconds / done * (total - done);
        out.printf(Locale.ROOT, "\r\033[Kepoch %d%s [%s%s] %3d%%  loss %.4f%s  %.0f images/s  ETA %.0f s", epoch,
                epochs == Integer.MAX_VALUE ? "" : "/" + epochs, "=".repeat(filled), " ".repeat(width - filled), 100 * done / total, loss,
                Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, "  accuracy %.4f", accuracy), seen / Math.max(1e-9, seconds), eta);
        out.flush();
    }

    /**
     * Loss (and for classification accuracy and confusion) in inference mode; for segmentation
     * the accuracy and the confusion count pixels.
     */
    public Evaluation evaluate(Dataset data, int batch, Config config) {
        batch = Math.min(batch, net.maxBatch());
        int width = net.outputSize();
        int pixels = data.regression() ? 1 : data.labelWidth();
        int classCount = width / pixels;
        float[] x = new float[batch * net.inputSize()];
        int[] y = new int[batch * pixels];
        float[] t = new float[batch * width];
        float[] scratch = new float[batch * width];
        int[] order = new int[data.count()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        boolean classes = !data.regression();
        long[][] confusion = classes ? new long[classCount][classCount] : null;
        double total = 0;
        long right = 0;
        for (int from = 0; from < data.count(); from += batch) {
            int n = Math.min(batch, data.count() - from);
            data.gather(order, from, n, x, y, t);
            net.forward(x, n, false);
            float[] o = net.output();
            if (net.endsWithSoftmax() && (config.loss() == Loss.CROSS_ENTROPY || config.loss() == Loss.NLL)) {
                for (int b = 0; b < n; b++) {
                    total -= Math.log(Math.max(o[b * width + y[b]], 1e-45f)); // the output is already probabilities
                }
            } else {
                total += n * config.loss().lossAndGradient(o, y, t, 0, n, width, pixels, config.huberDelta(), scratch);
            }
            if (classes) {
                for (int b = 0; b < n; b++) {
                    for (int q = 0; q < pixels; q++) {
                        int truth = y[b * pixels + q];
                        int best = argmax(o, b, classCount, pixels, q);
                        confusion[truth][best]++;
                        if (best == truth) {
                            right++;
                        }
                    }
                }
            }
        }
        return new Evaluation(total / data.count(), classes ? right / ((double) data.count() * pixels) : Double.NaN, confusion, data.count());
    }

    private void save(Checkpoints checkpoints, Checkpoint checkpoint) {
        try {
            checkpoint.save(checkpoints.dir(), net, optimizer, checkpoints.beforeRename());
        } catch (java.io.IOException e) {
            throw new Diverged(dev.cnnc.runtime.io.IoMessages.cannot("write a checkpoint in", checkpoints.dir(), e));
        }
    }

    /** Stops at the first tensor, in layer order, whose gradient is not finite (cnnc-spark checks its summed gradients here too). */
    public static void checkGradients(Network net, long step) {
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

    static int matches(int[] predicted, int[] labels, int n) {
        int right = 0;
        for (int b = 0; b < n; b++) {
            if (predicted[b] == labels[b]) {
                right++;
            }
        }
        return right;
    }

    /** How many of the n examples' labels (pixels of them, for segmentation) the scores' argmax gets right. */
    public static int correct(float[] scores, int[] labels, int n, int classes, int pixels) {
        int right = 0;
        for (int b = 0; b < n; b++) {
            for (int q = 0; q < pixels; q++) {
                if (argmax(scores, b, classes, pixels, q) == labels[b * pixels + q]) {
                    right++;
                }
            }
        }
        return right;
    }

    /** The predicted class of example b: the first of its highest scores. */
    static int argmax(float[] scores, int b, int classes) {
        return argmax(scores, b, classes, 1, 0);
    }

    /** The predicted class of pixel q of example b, its scores [classes][pixels] apart by {@code pixels}. */
    static int argmax(float[] scores, int b, int classes, int pixels, int q) {
        int base = b * classes * pixels + q;
        int best = 0;
        for (int i = 1; i < classes; i++) {
            if (scores[base + i * pixels] > scores[base + best * pixels]) {
                best = i;
            }
        }
        return best;
    }
}
