package dev.cnnc.spark;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.train.DataSpecs;
import dev.cnnc.compiler.train.TrainConfig;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Checkpoint;
import dev.cnnc.runtime.train.Metrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel training of a cnnc model on a Spark cluster. Each epoch is one
 * Spark job: the examples, read by Spark's tasks a range of the IDX files each and kept by Spark
 * (memory, else disk), are keyed by their place in the epoch's seeded order and shuffled to the
 * worker whose slice of each global batch holds them; then one barrier stage runs a task a
 * worker, which trains on its slices and sums gradients with the others every step (see
 * {@link RingAllReduce}). Every replica applies the same summed update, so all hold the same
 * weights, and W workers with a global batch B take the same steps as {@code cnnc train} with
 * batch B on one machine, up to the order of float sums. Nothing of the data passes through the
 * driver; only each epoch's per-step losses and timings come back.
 *
 * <p>Batchnorm layers normalise with each replica's own slice (as PyTorch's
 * DistributedDataParallel without SyncBatchNorm); checkpoints keep the mean of the replicas'
 * running statistics, and every replica continues from that mean.
 */
public final class SparkTrainer {
    /** A run that cannot start or cannot go on, with a message for the user (no stack trace needed). */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * What a run did: the step it trained to, the loss of each step from {@code firstStep} on (a
     * resumed run or a retried stage leaves out the steps before its checkpoint), the last
     * checkpoint, the run folder.
     */
    public record Result(long steps, long firstStep, float[] stepLosses, double imagesPerSecond, double exchangeShare, double testLoss, double testAccuracy,
                         Path checkpointDir, Path runDir) {
    }

    private static final ClassTag<EpochReport> REPORT = ClassTag$.MODULE$.apply(EpochReport.class);

    private SparkTrainer() {
    }

    /** Trains as the settings say on the cluster {@code sc} runs on, printing each epoch's summary to {@code out}. */
    public static Result train(JavaSparkContext sc, Settings settings, PrintStream out) throws Refused {
        String text;
        try {
            text = Files.readString(settings.model(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Refused("cannot read the model " + settings.model() + ": " + e.getMessage());
        }
        CheckedModel model;
        try {
            model = Replica.check(settings.model().toString(), text);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage().strip() + "\n" + settings.model() + " has errors; fix them first (cnnc check)");
        }
        TrainConfig train = model.train();
        if (train == null) {
            throw new Refused(settings.model() + " has no train { } section; add one, e.g. train { loss cross_entropy; optimizer adam lr 0.001 }");
        }
        refuseUnsupported(model, train);
        int batch = settings.batch() != null ? settings.batch() : train.batch() != null ? train.batch() : 32;
        long seed = settings.seed() != null ? settings.seed() : train.seed() != null ? train.seed() : 0;
        int epochs = settings.epochs() != null ? settings.epochs() : train.epochs() != null ? train.epochs() : 1;
        long steps = settings.steps() == null ? 0 : settings.steps();
        double rate = settings.learningRate() != null ? settings.learningRate() : train.optimizer().lr();
        int workers = settings.workers();
        if (workers < 1) {
            throw new Refused("--workers " + workers + ": give 1 or more");
        }
        if (batch < workers) {
            throw new Refused("--batch " + batch + " is smaller than --workers " + workers + ": each worker takes a slice of every batch");
        }
        IdxDataDir.Spec spec = DataSpecs.of(model);
        IdxSplits trainData;
        IdxSplits testData;
        try {
            trainData = IdxSplits.open(settings.data(), "train", spec, true);
            testData = IdxSplits.open(settings.data(), "t10k", spec, false);
        } catch (IdxSplits.BadData e) {
            throw new Refused(e.getMessage());
        }
        Path runDir = settings.runDir() != null ? settings.runDir() : nextRunDir(Path.of("runs", model.name()));
        Path checkpoints = (settings.checkpointDir() != null ? settings.checkpointDir() : runDir).toAbsolutePath();
        Map<String, String> resumeSettings = new LinkedHashMap<>();
        resumeSettings.put("batch", Integer.toString(batch));
        resumeSettings.put("seed", Long.toString(seed));
        resumeSettings.put("shuffle", Boolean.toString(settings.shuffle()));
        resumeSettings.put("val_split", "none");
        resumeSettings.put("freeze", "none or the file's");
        int firstEpoch = startingEpoch(checkpoints, settings.resume(), resumeSettings);
        try {
            Files.createDirectories(runDir);
            Files.createDirectories(checkpoints);
        } catch (IOException e) {
            throw new Refused("cannot create " + runDir + " or " + checkpoints + ": " + e.getMessage());
        }
        awaitWorkers(sc, workers, settings.workerWaitSeconds());
        EpochPlan plan = new EpochPlan(trainData.count(), batch, workers, settings.shuffle(), seed);
        Job job = new Job(model.name(), text, trainData, plan, epochs, steps, rate, settings.threads(), checkpoints.toString(),
                settings.checkpointEvery(), settings.save() == null ? null : settings.save().toAbsolutePath().toString(), resumeSettings);
        out.printf(Locale.ROOT, "training %s on %s: %,d examples, global batch %d on %d worker%s (%s each), %s; checkpoints in %s%n", model.name(),
                settings.data(), trainData.count(), batch, workers, workers == 1 ? "" : "s", slices(plan), steps > 0 ? steps + " steps" : epochs + " epoch"
                        + (epochs == 1 ? "" : "s"), checkpoints);
        List<int[]> ranges = trainData.ranges(10_000, workers);
        JavaRDD<Example> examples = sc.parallelize(ranges, ranges.size())
                .flatMap(r -> trainData.read(r[0], r[1]).iterator())
                .persist(StorageLevel.MEMORY_AND_DISK());
        Metrics metrics;
        try {
            metrics = firstEpoch == 1 ? new Metrics(runDir, model.name()) : Metrics.continuing(runDir, model.name(), firstEpoch);
        } catch (IOException e) {
            throw new Refused("cannot read the run's metrics in " + runDir + ": " + e.getMessage());
        }
        List<Float> losses = new ArrayList<>();
        long images = 0;
        double computeSeconds = 0;
        double exchangeSeconds = 0;
        long started = System.nanoTime();
        boolean finished = false;
        long lastStep = 0;
        long epochShuffleState = plan.shuffleStateAt(firstEpoch); // then advanced one epoch at a time
        try {
            for (int epoch = firstEpoch; epoch <= (steps > 0 ? Integer.MAX_VALUE : epochs) && !finished; epoch++) {
                long epochStarted = System.nanoTime();
                long shuffleState = epochShuffleState;
                epochShuffleState = plan.nextShuffleState(epochShuffleState);
                JavaPairRDD<Long, Example> placed = examples.mapPartitionsToPair(new EpochOrder(plan, shuffleState))
                        .repartitionAndSortWithinPartitions(new SlicePartitioner(plan));
                // The shuffle after the barrier stage makes it a map stage, which Spark retries whole when a task or an
                // executor is lost (a failed barrier result stage is not retried); the reports are a few kilobytes.
                List<EpochReport> reports = JavaRDD.fromRDD(placed.rdd().barrier().mapPartitions(new ReplicaEpoch(job, epoch, shuffleState), false, REPORT), REPORT)
                        .repartition(1).collect();
                reports = reports.stream().sorted(java.util.Comparator.comparingInt(EpochReport::rank)).toList();
                EpochReport first = reports.get(0);
                finished = reports.stream().anyMatch(EpochReport::finished);
                if (first.upToDate()) {
                    out.printf(Locale.ROOT, "epoch %d  finished before its stage was retried (its checkpoint was written)%n", epoch);
                    continue;
                }
                if (first.firstStep() != lastStep) {
                    losses.clear(); // a retried stage resumed from a checkpoint before this epoch's end: its losses continue from there
                }
                lastStep = first.lastStep();
                for (float l : first.stepLosses()) {
                    losses.add(l);
                }
                long epochImages = reports.stream().mapToLong(EpochReport::examples).sum();
                images += epochImages;
                double compute = reports.stream().mapToLong(EpochReport::computeNanos).max().orElse(0) / 1e9;
                double exchange = reports.stream().mapToLong(EpochReport::exchangeNanos).max().orElse(0) / 1e9;
                computeSeconds += compute;
                exchangeSeconds += exchange;
                double seconds = (System.nanoTime() - epochStarted) / 1e9;
                double trainLoss = first.lossSum() / Math.max(1, first.seen());
                double accuracy = first.correct() / (double) Math.max(1, first.seen());
                double stepSeconds = compute + exchange;
                out.printf(Locale.ROOT, "epoch %d  loss %.4f  train accuracy %.4f  %.1f s  %.0f images/s (%.0f per worker)  exchange %.0f%% of a step "
                                + "(%.1f ms of %.1f)%n", epoch, trainLoss, accuracy, seconds, epochImages / seconds, epochImages / seconds / workers,
                        100 * exchange / Math.max(1e-12, stepSeconds), 1e3 * exchange / Math.max(1, first.stepLosses().length),
                        1e3 * stepSeconds / Math.max(1, first.stepLosses().length));
                metrics.add(new Metrics.Epoch(epoch, trainLoss, accuracy, Double.NaN, Double.NaN, rate, seconds, epochImages / seconds));
                if (epoch == epochs && steps <= 0) {
                    finished = true;
                }
            }
        } catch (IOException e) {
            throw new Refused("cannot write the run's metrics in " + runDir + ": " + e.getMessage());
        } catch (Exception e) {
            // Spark's job failures (SparkException, thrown from Scala undeclared) carry the failing task's exception as text
            throw new Refused("the Spark job failed: " + cause(e));
        } finally {
            examples.unpersist(false);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double testLoss = Double.NaN;
        double testAccuracy = Double.NaN;
        if (testData != null) {
            double[] t = evaluate(sc, job, testData);
            testLoss = t[0] / testData.count();
            testAccuracy = t[1] / testData.count();
            out.printf(Locale.ROOT, "test loss %.4f  test accuracy %.4f (%,d images)%n", testLoss, testAccuracy, testData.count());
        }
        float[] stepLosses = new float[losses.size()];
        for (int i = 0; i < stepLosses.length; i++) {
            stepLosses[i] = losses.get(i);
        }
        double share = exchangeSeconds / Math.max(1e-12, computeSeconds + exchangeSeconds);
        out.printf(Locale.ROOT, "trained to step %d (%d steps in this run), %.0f images/s on %d worker%s; exchange %.0f%% of a step; metrics in %s%s%n",
                lastStep, stepLosses.length, images / seconds, workers, workers == 1 ? "" : "s", 100 * share, runDir, settings.save() == null ? "" : "; weights in " + settings.save());
        return new Result(lastStep, lastStep - stepLosses.length, stepLosses, images / seconds, share, testLoss, testAccuracy, checkpoints, runDir);
    }

    /** Loss sum and right count of the test split with the last checkpoint's weights, a task a range. */
    private static double[] evaluate(JavaSparkContext sc, Job job, IdxSplits test) throws Refused {
        List<int[]> ranges = test.ranges(5_000, job.workers());
        try {
            return sc.parallelize(ranges, ranges.size()).map(r -> {
                Replica replica = new Replica(job, 0, Math.min(256, r[1] - r[0]));
                try {
                    Checkpoint.load(Path.of(job.checkpointDir()), replica.net, replica.optimizer);
                } catch (Checkpoint.Corrupt e) {
                    throw new IOException(e.getMessage(), e);
                }
                return replica.evaluate(test.read(r[0], r[1]));
            }).reduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
        } catch (RuntimeException e) {
            throw new Refused("the test evaluation failed: " + cause(e));
        }
    }

    /** The epoch a run starts at: 1, or the resumed checkpoint's (after checking that it is this run's and that a new run finds none). */
    private static int startingEpoch(Path checkpoints, boolean resume, Map<String, String> settings) throws Refused {
        Path file = checkpoints.resolve(Checkpoint.FILE);
        if (!resume) {
            if (Files.exists(file)) {
                throw new Refused(checkpoints + " holds an earlier run's checkpoint; continue it with --resume, or give another --checkpoint-dir");
            }
            return 1;
        }
        if (!Files.exists(file)) {
            throw new Refused("--resume: no checkpoint in " + checkpoints);
        }
        try {
            Map<String, String> had = Checkpoint.settings(file);
            for (Map.Entry<String, String> want : settings.entrySet()) {
                String was = had.get(want.getKey());
                if (was != null && !was.equals(want.getValue())) {
                    throw new Refused("--resume " + file + ": the checkpoint's run used " + want.getKey() + " " + was + ", this one asks for "
                            + want.getValue() + "; an exact resume needs the same");
                }
            }
            return Integer.parseInt(Safetensors.metadata(file).get("epoch"));
        } catch (IOException | Checkpoint.Corrupt | Safetensors.BadFile | NumberFormatException e) {
            throw new Refused("cannot resume from " + file + ": " + e.getMessage());
        }
    }

    /**
     * Waits until the cluster offers a task slot for every worker (a barrier stage needs them all
     * at once), or refuses: a worker that never registers is an error here, not a hang.
     */
    static void awaitWorkers(JavaSparkContext sc, int workers, int seconds) throws Refused {
        if (sc.master().startsWith("local")) {
            if (sc.defaultParallelism() < workers) {
                throw new Refused("--workers " + workers + " needs " + workers + " tasks at once, but master " + sc.master() + " runs "
                        + sc.defaultParallelism() + "; use local[" + workers + "] or more");
            }
            return;
        }
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            int executors = sc.sc().statusTracker().getExecutorInfos().length - 1;
            int slots = executors > 0 ? sc.defaultParallelism() : 0;
            if (slots >= workers) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new Refused(String.format(Locale.ROOT, "--workers %d needs %d task slots at once, but after %d s the cluster at %s offers %d "
                                + "(%d executor%s registered): start more workers, give the application more cores (spark.cores.max), "
                                + "or check the workers' logs", workers, workers, seconds, sc.master(), slots, executors, executors == 1 ? "" : "s"));
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refused("interrupted while waiting for workers");
            }
        }
    }

    /** The message a user needs from a failed job: what the failing task threw, without Spark's wrapping. */
    static String cause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.toString() : root.getMessage();
        String firstLine = message.lines().findFirst().orElse(message);
        // a remote task's failure arrives as text: "... most recent failure: Lost task ...: java.io.IOException: the message"
        int at = firstLine.lastIndexOf("Exception: ");
        return at >= 0 ? firstLine.substring(at + "Exception: ".length()) : firstLine;
    }

    private static String slices(EpochPlan plan) {
        int small = plan.batch() / plan.workers();
        int large = (plan.batch() + plan.workers() - 1) / plan.workers();
        return small == large ? Integer.toString(small) : small + " or " + large;
    }

    private static void refuseUnsupported(CheckedModel model, TrainConfig train) throws Refused {
        if (DataSpecs.segmentation(model) || !train.loss().classification()) {
            throw new Refused(model.name() + ": cnnc-spark trains classifiers (one class label an example) for now; train this model with cnnc train");
        }
        if (train.normalize() != null && train.normalize().auto()) {
            throw new Refused(model.name() + ": normalize auto needs statistics of the whole training set; give them in the file "
                    + "(normalize mean M std S, as cnnc train printed them) to train on a cluster");
        }
        if (train.freeze() != null) {
            throw new Refused(model.name() + ": freeze is not supported by cnnc-spark yet; train this model with cnnc train");
        }
    }

    /** runs/MODEL/N for the next free N. */
    private static Path nextRunDir(Path root) throws Refused {
        int next = 1;
        if (Files.isDirectory(root)) {
            try (var entries = Files.list(root)) {
                next += entries.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{1,9}")).mapToInt(Integer::parseInt).max().orElse(0);
            } catch (IOException e) {
                throw new Refused("cannot list the run folders in " + root + ": " + e.getMessage());
            }
        }
        return root.resolve(Integer.toString(next));
    }
}
