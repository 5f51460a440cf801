package dev.cnnc.runtime.train;

import java.util.Locale;

/**
 * The training losses, with PyTorch's definitions and its default mean reduction. Each computes
 * the mean loss of a batch and dLoss/dOutput in one pass.
 *
 * <p>Classification losses take one class index per example; regression losses take
 * {@code width} target values per example. When a model ends in softmax, cross_entropy and nll
 * receive the logits (the softmax is folded in: nll of a softmax is cross-entropy); the other
 * losses receive the probabilities (see {@link Trainer}).
 */
public enum Loss {
    /** torch.nn.CrossEntropyLoss: -log softmax(x)[y]. */
    CROSS_ENTROPY(true),
    /** torch.nn.NLLLoss: -x[y], x being log-probabilities. */
    NLL(true),
    /** torch.nn.MSELoss: mean of (x - t)^2 over every value. */
    MSE(false),
    /** torch.nn.L1Loss: mean of |x - t|. */
    MAE(false),
    /** torch.nn.HuberLoss(delta): 0.5 d^2 where |d| < delta, else delta (|d| - delta/2). */
    HUBER(false),
    /** torch.nn.MultiMarginLoss (p=1, margin=1): sum over i != y of max(0, 1 - x[y] + x[i]), divided by the classes. */
    HINGE(true);

    private final boolean classification;

    Loss(boolean classification) {
        this.classification = classification;
    }

    public boolean classification() {
        return classification;
    }

    public static Loss of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /**
     * Mean loss over n examples of {@code width} outputs; {@code grad} receives dLoss/dOutput.
     * {@code labels} (classification) or {@code targets} (regression, [n][width]) start at example {@code first}.
     */
    public double lossAndGradient(float[] output, int[] labels, float[] targets, int first, int n, int width, double delta, float[] grad) {
        return lossAndGradient(output, labels, targets, first, n, width, 1, delta, grad);
    }

    /**
     * The same for a segmentation model, {@code pixels} labels an example: the output is
     * [n][width / pixels classes][pixels], the labels [n][pixels], and cross_entropy and nll are
     * means over every pixel (torch's on (N, K, H, W) and (N, H, W)). Only they take pixels.
     */
    public double lossAndGradient(float[] output, int[] labels, float[] targets, int first, int n, int width, int pixels, double delta,
                                  float[] grad) {
        if (pixels > 1 && this != CROSS_ENTROPY && this != NLL) {
            throw new IllegalArgumentException(name().toLowerCase(Locale.ROOT) + " does not take per-pixel labels");
        }
        switch (this) {
            case CROSS_ENTROPY:
                return SoftmaxCrossEntropy.lossAndGradient(output, labels, first, n, width / pixels, pixels, grad);
            case NLL: {
                java.util.Arrays.fill(grad, 0, n * width, 0f);
                double total = 0;
                double count = (double) n * pixels;
                for (int b = 0; b < n; b++) {
                    for (int q = 0; q < pixels; q++) {
                        int at = b * width + labels[(first + b) * pixels + q] * pixels + q;
                        total -= output[at];
                        grad[at] = (float) (-1 / count);
                    }
                }
                return total / count;
            }
            case HINGE: {
                double total = 0;
                for (int b = 0; b < n; b++) {
                    int y = labels[first + b];
                    int base = b * width;
                    int active = 0;
                    for (int i = 0; i < width; i++) {
                        double margin = i == y ? 0 : 1 - output[base + y] + output[base + i];
                        if (margin > 0) {
                            total += margin;
                            active++;
                            grad[base + i] = 1f / (width * n);
                        } else {
                            grad[base + i] = 0f;
                        }
                    }
                    grad[base + y] = -(float) active / (width * n);
                }
                return total / (width * (double) n);
            }
            default: {
                int count = n * width;
                double total = 0;
                for (int k = 0; k < count; k++) {
                    double d = output[k] - targets[first * width + k];
                    double g;
                    if (this == MSE) {
                        total += d * d;
                        g = 2 * d;
                    } else if (this == MAE) {
                        total += Math.abs(d);
                        g = Math.signum(d);
                    } else if (Math.abs(d) < delta) {
                        total += 0.5 * d * d;
                        g = d;
                    } else {
                        total += delta * (Math.abs(d) - 0.5 * delta);
                        g = delta * Math.signum(d);
                    }
                    grad[k] = (float) (g / count);
                }
                return total / count;
            }
        }
    }
}
