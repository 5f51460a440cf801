package dev.cnnc.runtime.train;

/**
 * Cross-entropy over logits with the softmax folded in, as torch.nn.CrossEntropyLoss (mean
 * over the batch): the loss and dLoss/dlogits = (softmax - onehot) / n in one pass.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /** Returns the mean loss; writes the gradient into {@code grad} ([n][classes]). */
    public static double lossAndGradient(float[] logits, int[] labels, int labelOffset, int n, int classes, float[] grad) {
        double total = 0;
        for (int b = 0; b < n; b++) {
            int base = b * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < classes; i++) {
                max = Math.max(max, logits[base + i]);
            }
            double sum = 0;
            for (int i = 0; i < classes; i++) {
                sum += Math.exp(logits[base + i] - max);
            }
            int label = labels[labelOffset + b];
            double logSum = Math.log(sum) + max;
            total += logSum - logits[base + label];
            for (int i = 0; i < classes; i++) {
                double p = Math.exp(logits[base + i] - logSum);
                grad[base + i] = (float) ((p - (i == label ? 1 : 0)) / n);
            }
        }
        return total / n;
    }
}
