package dev.cnnc.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * One run as its tasks see it: the model's source (each worker checks and compiles it itself),
 * the resolved settings, where the data and the checkpoints are. Small and serializable: Spark
 * ships it with every task.
 */
record Job(String modelName, String modelText, IdxSplits train, EpochPlan plan, int epochs, long steps, double learningRate,
           int threads, String checkpointDir, long checkpointEvery, String save, Map<String, String> settings) implements Serializable {
    int workers() {
        return plan.workers();
    }

    long seed() {
        return plan.seed();
    }
}
