package dev.cnnc.spark;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code spark-submit --class dev.cnnc.spark.Main cnnc-spark-VERSION-all.jar MODEL.cnn --workers N ...}:
 * cnnc train's options for a run on the cluster spark-submit names (without one, local[N] in
 * this JVM).
 */
@Command(name = "cnnc-spark", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Train a model on a Spark cluster, data-parallel: the same steps as cnnc train with the same batch.",
        description = {"Run it with spark-submit (--class dev.cnnc.spark.Main). The data folder and the checkpoint folder",
                "must be paths every worker can read and write (a shared file system)."})
public final class Main implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL.cnn", description = "the model file (read on the driver; the workers get its text)")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "the folder with train-images/train-labels (and t10k-*) IDX files, raw or .gz")
    Path data;

    @Option(names = "--workers", paramLabel = "N", description = "replicas training together, one Spark task each (default: 2)")
    int workers = 2;

    @Option(names = "--batch", paramLabel = "N", description = "the global batch: examples per step over all workers (default: the file's, else 32)")
    Integer batch;

    @Option(names = "--epochs", paramLabel = "N", description = "passes over the training data (default: the file's, else 1)")
    Integer epochs;

    @Option(names = "--steps", paramLabel = "N", description = "stop after N optimizer steps")
    Long steps;

    @Option(names = "--lr", paramLabel = "X", description = "learning rate (default: the file's)")
    Double lr;

    @Option(names = "--seed", paramLabel = "N", description = "seed for initialisation and shuffling (default: the file's, else 0)")
    Long seed;

    @Option(names = "--no-shuffle", description = "take batches in file order")
    boolean noShuffle;

    @Option(names = "--threads", paramLabel = "N", description = "threads of each worker's network (default: 1, one task a core)")
    int threads = 1;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "a folder every worker shares, for the checkpoint (default: the run folder)")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "also write one every N steps (default: only at epoch ends)")
    long checkpointEvery;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue the run whose checkpoint is in DIR, exactly where it stopped")
    Path resume;

    @Option(names = "--save", paramLabel = "W.safetensors", description = "where worker 0 writes the trained weights (atomically)")
    Path save;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "where the driver writes metrics.csv (default: runs/MODEL/N)")
    Path runDir;

    @Option(names = "--worker-wait", paramLabel = "S", description = "seconds to wait for a task slot for every worker before giving up (default: 120)")
    int workerWait = 120;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code: 0 trained, 1 refused or failed, 2 a usage error. */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public Integer call() {
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            System.err.println("cnnc-spark: error: the generated code uses the Vector API: start the driver with --add-modules=jdk.incubator.vector "
                    + "(spark-submit --driver-java-options --add-modules=jdk.incubator.vector)");
            return 1;
        }
        SparkConf conf = new SparkConf().setAppName("cnnc-spark " + model.getFileName());
        conf.setIfMissing("spark.master", "local[" + workers + "]");
        configure(conf);
        Settings settings = Settings.of(model, data).withWorkers(workers).withBatch(batch).withEpochs(epochs).withSteps(steps)
                .withLearningRate(lr).withSeed(seed).withShuffle(!noShuffle).withThreads(threads)
                .withCheckpoints(resume != null ? resume : checkpointDir, checkpointEvery).withResume(resume != null).withSave(save)
                .withRunDir(runDir).withWorkerWait(workerWait);
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            SparkTrainer.train(sc, settings, System.out);
            return 0;
        } catch (SparkTrainer.Refused e) {
            System.err.println("cnnc-spark: error: " + e.getMessage());
            return 1;
        }
    }

    /**
     * What cnnc-spark needs of a configuration: executors with the Vector API, and a barrier stage
     * that gives up within about two minutes when the cluster cannot run every worker at once
     * (Spark's default waits ten).
     */
    public static SparkConf configure(SparkConf conf) {
        String options = conf.get("spark.executor.extraJavaOptions", "");
        if (!options.contains("jdk.incubator.vector")) {
            conf.set("spark.executor.extraJavaOptions", (options + " --add-modules=jdk.incubator.vector").strip());
        }
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "5s");
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "24");
        return conf;
    }
}
