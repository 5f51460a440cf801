package dev.cnnc.spark;

import java.nio.file.Path;

/**
 * A training run on a cluster, as {@code cnnc train}'s flags give one, plus the number of
 * workers. Built with {@link #of} and the with-methods; null means "the model file's value, else
 * cnnc train's default". Paths must be ones every worker can read (data) and write (checkpoints).
 */
public record Settings(Path model, Path data, int workers, Integer batch, Integer epochs, Long steps, Double learningRate, Long seed,
                       boolean shuffle, int threads, Path checkpointDir, long checkpointEvery, boolean resume, Path save, Path runDir,
                       int workerWaitSeconds) {
    /** Two workers, the file's batch, epochs, learning rate and seed; checkpoints in the run folder. */
    public static Settings of(Path model, Path data) {
        return new Settings(model, data, 2, null, null, null, null, null, true, 1, null, 0, false, null, null, 120);
    }

    public Settings withWorkers(int n) {
        return new Settings(model, data, n, batch, epochs, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    public Settings withBatch(Integer n) {
        return new Settings(model, data, workers, n, epochs, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    public Settings withEpochs(Integer n) {
        return new Settings(model, data, workers, batch, n, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    public Settings withSteps(Long n) {
        return new Settings(model, data, workers, batch, epochs, n, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    public Settings withLearningRate(Double rate) {
        return new Settings(model, data, workers, batch, epochs, steps, rate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    public Settings withSeed(Long s) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, s, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    public Settings withShuffle(boolean on) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, on, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    /** Threads each worker's network runs on (default 1: one task a core, as Spark schedules them). */
    public Settings withThreads(int n) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, shuffle, n, checkpointDir, checkpointEvery, resume,
                save, runDir, workerWaitSeconds);
    }

    /** Where checkpoints go (a folder every worker shares), and every how many steps besides each epoch's end (0: only then). */
    public Settings withCheckpoints(Path dir, long every) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, shuffle, threads, dir, every, resume, save, runDir,
                workerWaitSeconds);
    }

    /** Continue from the checkpoint in the checkpoint folder, exactly where it stopped. */
    public Settings withResume(boolean on) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, on,
                save, runDir, workerWaitSeconds);
    }

    /** Where worker 0 writes the trained weights (atomically), or null. */
    public Settings withSave(Path weights) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                weights, runDir, workerWaitSeconds);
    }

    /** The driver's folder for metrics.csv (default: runs/MODEL/N, the next free number). */
    public Settings withRunDir(Path dir) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, dir, workerWaitSeconds);
    }

    /** How long to wait for the cluster to offer a slot for every worker before refusing (default 120 s). */
    public Settings withWorkerWait(int seconds) {
        return new Settings(model, data, workers, batch, epochs, steps, learningRate, seed, shuffle, threads, checkpointDir, checkpointEvery, resume,
                save, runDir, seconds);
    }
}
