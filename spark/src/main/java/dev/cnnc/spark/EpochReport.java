package dev.cnnc.spark;

import java.io.Serializable;

/**
 * What one worker ran of an epoch (in one attempt of its stage): the global loss of every step it
 * took part in, the epoch's sums over all workers (its part before a resumed checkpoint
 * included), and this worker's own timing: computing its slices, and waiting on the exchange.
 */
record EpochReport(int rank, int epoch, long firstStep, float[] stepLosses, double lossSum, long correct, long seen,
                   long examples, long computeNanos, long exchangeNanos, double seconds, boolean finished, boolean upToDate)
        implements Serializable {
    long lastStep() {
        return firstStep + stepLosses.length;
    }
}
