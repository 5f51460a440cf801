package dev.cnnc.spark;

import dev.cnnc.runtime.train.Rng;
import java.io.Serializable;

/**
 * Which examples each worker takes at every step: the epoch's order is the one {@code cnnc
 * train} draws from the run's seed (the same generator, the same shuffle), global batch k is
 * positions [k*batch, k*batch + n) of it, and worker w of W takes the w-th of W near-equal slices
 * of each batch. So W workers together see exactly the batches one machine would.
 */
record EpochPlan(int count, int batch, int workers, boolean shuffle, long seed) implements Serializable {
    int batches() {
        return (count + batch - 1) / batch;
    }

    /** Examples in global batch k (the last one may be short). */
    int batchSize(int k) {
        return Math.min(batch, count - k * batch);
    }

    /** The first position of worker w's slice of batch k; its slice ends at {@code sliceStart(k, w + 1)}. */
    long sliceStart(int k, int w) {
        return (long) k * batch + (long) batchSize(k) * w / workers;
    }

    /** The worker whose slice holds a position of the epoch's order. */
    int workerOf(long position) {
        int k = (int) (position / batch);
        long offset = position - (long) k * batch;
        int n = batchSize(k);
        int w = (int) (offset * workers / n);
        // the slices are floor(n*w/W) apart: step to the one that holds the offset
        while (w + 1 < workers && (long) n * (w + 1) / workers <= offset) {
            w++;
        }
        while (w > 0 && (long) n * w / workers > offset) {
            w--;
        }
        return w;
    }

    /** The shuffle generator's state at the start of an epoch (1-based), as cnnc train's checkpoints record it. */
    long shuffleStateAt(int epoch) {
        long state = new Rng(seed).state();
        for (int e = 1; e < epoch; e++) {
            state = nextShuffleState(state);
        }
        return state;
    }

    /** The shuffle generator's state at the start of the epoch after the one that starts from {@code state}. */
    long nextShuffleState(long state) {
        Rng rng = new Rng(seed);
        rng.setState(state);
        shuffle(rng, new int[count]);
        return rng.state();
    }

    /** position[i]: where example i comes in the epoch whose shuffle starts from {@code state}. */
    int[] positions(long state) {
        Rng rng = new Rng(seed);
        rng.setState(state);
        int[] order = new int[count];
        shuffle(rng, order);
        int[] position = new int[count];
        for (int p = 0; p < count; p++) {
            position[order[p]] = p;
        }
        return position;
    }

    /** The trainer's Fisher-Yates shuffle (file order without shuffling), drawn from rng. */
    private void shuffle(Rng rng, int[] order) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
        }
    }
}
