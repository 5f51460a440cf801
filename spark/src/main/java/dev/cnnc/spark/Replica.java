package dev.cnnc.spark;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.train.DataSpecs;
import dev.cnnc.compiler.train.TrainConfig;
import dev.cnnc.compiler.train.TrainSetup;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.kernels.Ops;
import dev.cnnc.runtime.train.Augmenter;
import dev.cnnc.runtime.train.Loss;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.Schedule;
import dev.cnnc.runtime.train.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One worker's copy of the network and optimizer, and its half of a data-parallel step: the
 * gradient of its slice of the global batch, weighted by the slice's share of the batch (so the
 * sum over workers is the gradient of the whole batch's mean loss), then, once the sums are in,
 * the same update every worker applies. A replica runs on the Java backend, one JVM compiling
 * the model once for all the replicas it holds.
 */
final class Replica {
    /** Training cannot go on: a non-finite loss or gradient; the message names the step. */
    static final class Diverged extends RuntimeException {
        Diverged(String message) {
            super(message, null, false, false);
        }
    }

    private static final Map<String, Class<?>> COMPILED = new ConcurrentHashMap<>();

    final CheckedModel model;
    final Network net;
    final Optimizer optimizer;
    final IdxDataDir.Spec spec;
    final Schedule schedule;
    final double baseRate;
    private final Loss loss;
    private final double huberDelta;
    private final double l1;
    private final boolean softmaxInTrainer;
    private final Augmenter augmenter;
    private final float[] x;
    private final int[] y;
    private final float[] targets;
    private final float[] probabilities;
    private final float[] probabilityGradient;
    private final float[] exchange;

    /** A replica of the job's model for slices of up to {@code maxSlice} examples. */
    Replica(Job job, int rank, int maxSlice) throws InMemoryJavac.Failure {
        this(check(job.modelName(), job.modelText()), job.modelText(), job.epochs(), job.learningRate(), job.seed(), rank, maxSlice,
                job.threads());
    }

    /** {@code key} names the model's source: replicas of one source share its compiled class. */
    Replica(CheckedModel model, String key, int epochs, double learningRate, long seed, int rank, int maxSlice, int threads) throws InMemoryJavac.Failure {
        this.model = model;
        TrainConfig train = model.train();
        Class<?> type = COMPILED.get(key);
        if (type == null) {
            type = InMemoryJavac.compile(List.of(JavaBackend.source(model, "cnnc.generated", JavaBackend.Options.DEFAULT)))
                    .get("cnnc.generated." + model.name());
            COMPILED.put(key, type);
        }
        this.net = JavaBackend.instantiate(type, Math.max(1, maxSlice), threads);
        this.spec = DataSpecs.of(model);
        this.baseRate = learningRate;
        this.optimizer = TrainSetup.optimizer(train, net.parameters().length, learningRate);
        this.schedule = TrainSetup.schedule(train, epochs);
        Loss configured = Loss.valueOf(train.loss().kind().name());
        boolean logits = net.endsWithSoftmax() && (configured == Loss.CROSS_ENTROPY || configured == Loss.NLL);
        this.loss = logits ? Loss.CROSS_ENTROPY : configured;
        this.softmaxInTrainer = net.endsWithSoftmax() && !logits;
        this.huberDelta = train.loss().delta();
        this.l1 = train.l1() == null ? 0 : train.l1();
        this.augmenter = TrainSetup.augmenter(train, spec, seed * 31 + rank);
        int width = net.outputSize();
        this.x = new float[net.maxBatch() * net.inputSize()];
        this.y = new int[net.maxBatch()];
        this.targets = new float[net.maxBatch() * width];
        this.probabilities = new float[net.maxBatch() * width];
        this.probabilityGradient = new float[net.maxBatch() * width];
        this.exchange = new float[net.parameters().length + 2];
    }

    /** The checked model of a source text; an error is reported with every diagnostic, rendered as cnnc check prints them. */
    static CheckedModel check(String name, String text) {
        CheckResult result = Frontend.check(new SourceFile(name, text));
        if (!result.ok()) {
            StringBuilder b = new StringBuilder();
            result.diagnostics().forEach(d -> b.append(dev.cnnc.compiler.diag.DiagnosticRenderer.render(d, result.source())));
            throw new IllegalArgumentException(b.toString());
        }
        return result.model();
    }

    /** The input buffer for a slice of n examples: example e at e * inputSize, channels first, normalised. */
    void load(List<Example> slice) {
        int c = spec.channels();
        int plane = spec.height() * spec.width();
        int size = c * plane;
        for (int e = 0; e < slice.size(); e++) {
            byte[] pixels = slice.get(e).pixels();
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
                    // channels last in the file, channels first in the network, as the CLI reads IDX data
                    x[e * size + ch * plane + p] = spec.normalise(pixels[p * c + ch] & 0xff, ch);
                }
            }
            y[e] = slice.get(e).label();
        }
    }

    /**
     * Forward and backward of the n examples loaded, as this worker's part of a global batch of
     * {@code batch}: returns the array to sum over the workers — the gradients weighted by n/batch,
     * then the loss weighted likewise, then the count of right predictions.
     */
    float[] slice(int n, int batch, long step, long seed, int rank) {
        java.util.Arrays.fill(exchange, 0f);
        if (n == 0) {
            return exchange;
        }
        if (augmenter != null) {
            augmenter.apply(x, n, step);
        }
        // dropout masks from the run's seed, the step and the worker: resumable without saved generator states
        net.setSeed(seed ^ (0x9E3779B97F4A7C15L * (step + 1)) ^ ((long) rank << 48));
        int width = net.outputSize();
        net.forward(x, n, true);
        double value;
        if (softmaxInTrainer) {
            Ops.softmax(net.output(), probabilities, n, width);
            value = loss.lossAndGradient(probabilities, y, targets, 0, n, width, huberDelta, probabilityGradient);
            Ops.softmaxBackward(probabilities, probabilityGradient, net.outputGradient(), n, width);
        } else {
            value = loss.lossAndGradient(net.output(), y, targets, 0, n, width, 1, huberDelta, net.outputGradient());
        }
        int right = Trainer.correct(net.output(), y, n, width, 1);
        net.backward(n);
        float share = (float) ((double) n / batch);
        float[] g = net.gradients();
        for (int i = 0; i < g.length; i++) {
            exchange[i] = g[i] * share;
        }
        exchange[g.length] = (float) (value * n / batch);
        exchange[g.length + 1] = right;
        return exchange;
    }

    /** The update from the summed gradients (every worker applies the same), after checking them. */
    void apply(float[] summed, long step) {
        float[] g = net.gradients();
        System.arraycopy(summed, 0, g, 0, g.length);
        float lossValue = summed[g.length];
        if (!Float.isFinite(lossValue)) {
            throw new Diverged(String.format(Locale.ROOT, "the loss became %s at step %d; lower the learning rate or check the data's "
                    + "normalisation", lossValue, step));
        }
        Trainer.checkGradients(net, step);
        net.step(optimizer, l1);
    }

    /**
     * Loss (summed, not averaged) and right predictions of the examples in inference mode, as
     * {@code cnnc train} evaluates its test set.
     */
    double[] evaluate(List<Example> examples) {
        double total = 0;
        long right = 0;
        int width = net.outputSize();
        boolean probabilitiesOut = net.endsWithSoftmax() && (loss == Loss.CROSS_ENTROPY || loss == Loss.NLL);
        for (int from = 0; from < examples.size(); from += net.maxBatch()) {
            List<Example> part = examples.subList(from, Math.min(examples.size(), from + net.maxBatch()));
            int n = part.size();
            load(part);
            net.forward(x, n, false);
            float[] o = net.output();
            if (probabilitiesOut) {
                for (int b = 0; b < n; b++) {
                    total -= Math.log(Math.max(o[b * width + y[b]], 1e-45f));
                }
            } else {
                total += n * loss.lossAndGradient(o, y, targets, 0, n, width, 1, huberDelta, probabilityGradient);
            }
            right += Trainer.correct(o, y, n, width, 1);
        }
        return new double[] {total, right};
    }

    /** Where in {@link #slice}'s array the loss and the right count are. */
    int lossIndex() {
        return exchange.length - 2;
    }
}
