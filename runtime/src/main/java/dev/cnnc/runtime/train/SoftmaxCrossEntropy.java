package dev.cnnc.runtime.train;

/**
 * Cross-entropy over logits with the softmax folded in, as torch.nn.CrossEntropyLoss (mean
 * over the batch, and for segmentation over every pixel too): the loss and dLoss/dlogits =
 * (softmax - onehot) / count in one pass.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /** Returns the mean loss; writes the gradient into {@code grad} ([n][classes]). */
    public static double lossAndGradient(float[] logits, int[] labels, int labelOffset, int n, int classes, float[] grad) {
        return lossAndGradient(logits, labels, labelOffset, n, classes, 1, grad);
    }

    /**
     * The same over {@code pixels} positions an example: logits [n][classes][pixels] (an HxWxK
     * output in [K][H][W] order), labels [n][pixels] from example {@code labelOffset}; the mean is
     * over all n * pixels positions, as torch's on (N, K, H, W) logits and (N, H, W) targets.
     */
    public static double lossAndGradient(float[] logits, int[] labels, int labelOffset, int n, int classes, int pixels, float[] grad) {
        double total = 0;
        double count = (double) n * pixels;
        for (int b = 0; b < n; b++) {
            for (int q = 0; q < pixels; q++) {
                int base = b * classes * pixels + q;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < classes; i++) {
                    max = Math.max(max, logits[base + i * pixels]);
                }
                double sum = 0;
                for (int i = 0; i < classes; i++) {
                    sum += Math.exp(logits[base + i * pixels] - max);
                }
                int label = labels[(labelOffset + b) * pixels + q];
                double logSum = Math.log(sum) + max;
                total += logSum - logits[base + label * pixels];
                for (int i = 0; i < classes; i++) {
                    double p = Math.exp(logits[base + i * pixels] - logSum);
                    grad[base + i * pixels] = (float) ((p - (i == label ? 1 : 0)) / count);
                }
            }
        }
        return total / count;
    }
}
