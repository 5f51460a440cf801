package dev.cnnc.runtime.train;

/**
 * Learning rate per epoch, as PyTorch's schedulers stepped once per epoch: constant, StepLR
 * (multiply by gamma every {@code stepEpochs}) or CosineAnnealingLR over the run (to 0).
 */
public record Schedule(Kind kind, int stepEpochs, double gamma, int totalEpochs) {
    public enum Kind { CONSTANT, STEP, COSINE }

    public static final Schedule CONSTANT = new Schedule(Kind.CONSTANT, 0, 1, 1);

    /** The rate for 0-based {@code epoch}, from the base rate. */
    public double rate(double base, int epoch) {
        return switch (kind) {
            case CONSTANT -> base;
            case STEP -> base * Math.pow(gamma, epoch / stepEpochs);
            case COSINE -> base * (1 + Math.cos(Math.PI * Math.min(epoch, totalEpochs) / totalEpochs)) / 2;
        };
    }
}
