package dev.cnnc.compiler.train;

import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.train.Augmenter;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.Schedule;
import java.util.ArrayList;
import java.util.List;

/** The runtime's optimizer, schedule and augmenter as a model's train section describes them; cnnc train and cnnc-spark build them here. */
public final class TrainSetup {
    private TrainSetup() {
    }

    /** The section's optimizer over {@code size} parameters at learning rate {@code rate}, with its weight decay. */
    public static Optimizer optimizer(TrainConfig train, int size, double rate) {
        TrainConfig.Optimizer o = train.optimizer();
        double decay = train.weightDecay() == null ? 0 : train.weightDecay();
        return o.kind() == TrainConfig.Optimizer.Kind.SGD
                ? Optimizer.sgd(size, rate, o.momentum(), o.nesterov(), decay)
                : Optimizer.adam(size, rate, o.beta1(), o.beta2(), o.eps(), decay);
    }

    /** The section's learning-rate schedule over {@code epochs} epochs (constant without one). */
    public static Schedule schedule(TrainConfig train, int epochs) {
        TrainConfig.Schedule s = train.schedule();
        return s == null ? Schedule.CONSTANT : s.kind() == TrainConfig.Schedule.Kind.STEP
                ? new Schedule(Schedule.Kind.STEP, s.stepEpochs(), s.gamma(), epochs)
                : new Schedule(Schedule.Kind.COSINE, 0, 0, epochs);
    }

    /** The section's augment list, or null; padding takes the normalised value of a black pixel. */
    public static Augmenter augmenter(TrainConfig train, IdxDataDir.Spec spec, long seed) {
        if (train.augment().isEmpty()) {
            return null;
        }
        List<Augmenter.Step> steps = new ArrayList<>();
        for (TrainConfig.Augmentation a : train.augment()) {
            steps.add(new Augmenter.Step(Augmenter.Kind.valueOf(a.kind().name()), a.amount()));
        }
        float[] fill = new float[spec.channels()];
        for (int c = 0; c < fill.length; c++) {
            fill[c] = spec.normalise(0, c);
        }
        return new Augmenter(steps, spec.channels(), spec.height(), spec.width(), fill, seed);
    }
}
