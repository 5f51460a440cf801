package dev.cnnc.compiler.train;

import java.util.List;

/**
 * The checked {@code train { }} section. Settings the file leaves out are null (or empty), so
 * the command line and the trainer can tell "not given" from a value and apply their defaults.
 */
public record TrainConfig(
        Loss loss,
        Optimizer optimizer,
        Double weightDecay,
        Double l1,
        Integer batch,
        Integer epochs,
        Long seed,
        Integer earlyStoppingPatience,
        List<Augmentation> augment,
        Normalization normalize,
        Schedule schedule,
        Freeze freeze) {

    public TrainConfig {
        augment = augment == null ? List.of() : List.copyOf(augment);
    }

    /** The same settings without freezing (a model read without a train section's freeze). */
    public TrainConfig(Loss loss, Optimizer optimizer, Double weightDecay, Double l1, Integer batch, Integer epochs, Long seed,
                       Integer earlyStoppingPatience, List<Augmentation> augment, Normalization normalize, Schedule schedule) {
        this(loss, optimizer, weightDecay, l1, batch, epochs, seed, earlyStoppingPatience, augment, normalize, schedule, null);
    }

    /**
     * {@code freeze NAME}: every layer up to and including NAME keeps its parameters (through is
     * true); {@code freeze only A, B}: exactly those layers do. Layers as cnnc check names them.
     * A trailing {@code bn eval} (batchNormEval) keeps the frozen batchnorms in inference mode.
     */
    public record Freeze(List<String> layers, boolean through, boolean batchNormEval) {
        public Freeze {
            layers = List.copyOf(layers);
        }
    }

    public record Loss(Kind kind, double delta) {
        public enum Kind { CROSS_ENTROPY, NLL, MSE, MAE, HUBER, HINGE }

        /** Losses whose targets are class labels (the model's output is one score per class). */
        public boolean classification() {
            return kind == Kind.CROSS_ENTROPY || kind == Kind.NLL || kind == Kind.HINGE;
        }
    }

    /** PyTorch's torch.optim.SGD and Adam, with their defaults where the file is silent. */
    public record Optimizer(Kind kind, double lr, double momentum, boolean nesterov, double beta1, double beta2, double eps) {
        public enum Kind { SGD, ADAM }
    }

    public record Augmentation(Kind kind, double amount) {
        public enum Kind { FLIP, SHIFT, ROTATE, CROP, NOISE }
    }

    /** x' = (x * scale - mean) / std, per channel when mean and std have one value per channel. */
    public record Normalization(Double scale, List<Double> mean, List<Double> std, boolean auto) {
        public Normalization {
            mean = List.copyOf(mean);
            std = List.copyOf(std);
        }
    }

    /** Learning-rate schedule: step (multiply by gamma every stepEpochs epochs) or cosine annealing. */
    public record Schedule(Kind kind, int stepEpochs, double gamma) {
        public enum Kind { STEP, COSINE }
    }
}
