package dev.cnnc.runtime.train;

import java.util.List;

/** Told after every epoch what the run has seen so far (the CLI draws a run's charts with it, so a long run can be watched). */
public interface EpochListener {
    /**
     * {@code epochs}: every epoch so far, a resumed run's earlier ones too; {@code watched}: this
     * epoch's validation (or test) evaluation, or null; {@code bestEpoch}: the epoch whose weights
     * early stopping keeps, or 0 when it is off.
     */
    void epochEnded(List<Metrics.Epoch> epochs, Evaluation watched, int bestEpoch);

    /** The test set's evaluation at the end of the run. */
    default void tested(Evaluation test) {
    }
}
