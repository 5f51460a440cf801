package dev.cnnc.spark;

import org.apache.spark.Partitioner;

/** Sends the example at a position of the epoch's order to the worker whose slice holds it. */
final class SlicePartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final EpochPlan plan;

    SlicePartitioner(EpochPlan plan) {
        this.plan = plan;
    }

    @Override
    public int numPartitions() {
        return plan.workers();
    }

    @Override
    public int getPartition(Object key) {
        return plan.workerOf((Long) key);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SlicePartitioner p && p.plan.equals(plan);
    }

    @Override
    public int hashCode() {
        return plan.hashCode();
    }
}
