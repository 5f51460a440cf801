package dev.cnnc.runtime;

import java.util.List;

/**
 * What a compiled model offers the trainer. Generated classes implement it with buffers
 * allocated once, for up to {@link #maxBatch()} examples.
 *
 * <p>Data crosses this interface in PyTorch's order: an example is C,H,W (or N features), a
 * batch is examples one after another, parameters are laid out as in PyTorch's tensors.
 */
public interface Network extends AutoCloseable {
    String name();

    /** Input of one example: {C, H, W}, or {N} for a flat input. */
    int[] inputShape();

    int inputSize();

    int outputSize();

    int maxBatch();

    /** Every parameter and state tensor, named as in PyTorch's state_dict: conv1.weight, batchnorm1.running_var... */
    List<TensorInfo> tensors();

    /** All trainable parameters, one flat array (each tensor at its {@link TensorInfo#offset()}). */
    float[] parameters();

    /** Gradients of the parameters after {@link #backward(int)}, laid out like {@link #parameters()}. */
    float[] gradients();

    /** Non-trained state (batchnorm running statistics). */
    float[] state();

    /**
     * Runs n examples from {@code input} ([n][inputSize]). In training: batch statistics,
     * dropout, and a final softmax is left out, so {@link #output()} holds the logits that
     * cross-entropy takes (the softmax is folded into the loss). In inference: running
     * statistics, no dropout, probabilities when the model ends in softmax.
     */
    void forward(float[] input, int n, boolean training);

    /** [n][outputSize] after forward. */
    float[] output();

    /** Filled by the caller with dLoss/dOutput ([n][outputSize]) before {@link #backward(int)}. */
    float[] outputGradient();

    /** Gradients of all parameters (overwritten) and, if enabled, of the input, for the last training forward. */
    void backward(int n);

    void setInputGradientEnabled(boolean enabled);

    /**
     * Tells backward that parameters [0, count) are frozen (a fine-tuned network's leading layers):
     * the leading ops that own no other parameters skip their backward entirely (no weight
     * gradients, and no gradient flows back through them), so their entries of {@link #gradients()}
     * keep old values and {@link #inputGradient()} is not computed. A backend that cannot skip
     * ignores it; the optimizer's trainable ranges are what keep frozen parameters unchanged.
     */
    default void setFrozenPrefix(int count) {
    }

    /**
     * Layers that compute in inference mode while training: a batchnorm among them normalises with
     * its running statistics and leaves them as they are (PyTorch's {@code module.eval()} on a
     * frozen batchnorm while fine-tuning), and its backward is that of the fixed affine map. Empty
     * by default; a backend without it refuses a non-empty set.
     */
    default void setEvalInTraining(java.util.Set<String> layers) {
        if (!layers.isEmpty()) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot keep layers in eval mode while training");
        }
    }

    /** [n][inputSize] after backward, when enabled. */
    float[] inputGradient();

    /** Whether the model's last layer is softmax (left out of training forward). */
    boolean endsWithSoftmax();

    /** Seeds dropout; the masks then depend only on the seed and the sequence of training forwards. */
    void setSeed(long seed);

    /** The dropout generator's state, for checkpoints. */
    long randomState();

    /** Restores the dropout generator's state from a checkpoint. */
    void setRandomState(long state);

    /**
     * The mask dropout layer {@code index} (0-based) used in the last training forward: 0 or
     * 1/(1-p) per value, for its n examples, laid out as both backends draw it: [n][F] for flat
     * tensors, [C][n][H][W] for images (not the [n][C][H][W] of inputs and outputs).
     */
    float[] dropoutMask(int index);

    /** The ops of the compiled plan, in execution order ("conv1 + maxpool + relu"), for profiles. */
    List<String> opNames();

    /** Forward floating-point operations of each op, per example (a multiply-add counts as two). */
    long[] opFlops();

    /** Nanoseconds spent in each op's forward since construction (or {@link #resetTimes()}). */
    long[] forwardNanos();

    /** Nanoseconds spent in each op's backward since construction (or {@link #resetTimes()}). */
    long[] backwardNanos();

    void resetTimes();

    /**
     * Whether {@link #forwardNanos()} and {@link #backwardNanos()} are kept. A device backend must
     * wait for the device after every op to time it, so it keeps them only when asked; the Java
     * backend always does (a clock read an op).
     */
    default void setOpTiming(boolean on) {
    }

    /**
     * One update of the parameters by {@code optimizer} (after an L1 term {@code l1 * sign(p)} is
     * added to the gradients, when {@code l1 > 0}). Here: on the arrays. A device backend runs the
     * same update on the device and keeps the optimizer's state there (see {@link #syncOptimizerState}).
     */
    default void step(dev.cnnc.runtime.train.Optimizer optimizer, double l1) {
        if (l1 > 0) {
            dev.cnnc.runtime.train.Optimizer.addL1(parameters(), gradients(), l1);
        }
        optimizer.step(parameters(), gradients(), parallel());
    }

    /** The threads the network runs on, which {@link #step} splits the update across (one thread unless overridden). */
    default dev.cnnc.runtime.kernels.Parallel parallel() {
        return dev.cnnc.runtime.kernels.Parallel.SERIAL;
    }

    /** Brings {@code optimizer.stateArrays()} up to date where a device holds the state (before a checkpoint reads it). */
    default void syncOptimizerState(dev.cnnc.runtime.train.Optimizer optimizer) {
    }

    /** Whether {@link #crossEntropy} computes the loss where the logits live (a device backend does; here the caller uses output()). */
    default boolean lossOnDevice() {
        return false;
    }

    /**
     * Softmax cross-entropy, the mean over the batch as torch.nn.CrossEntropyLoss, of the last
     * training forward's logits against {@code labels[from, from + n)}, computed where the logits
     * live: leaves dLoss/dLogits ready for {@link #backward(int)} and writes each example's
     * predicted class (its first highest logit) into {@code predicted}. Only the labels go in and
     * the loss and predictions come out. For networks whose {@link #lossOnDevice()} is true.
     */
    default double crossEntropy(int[] labels, int from, int n, int[] predicted) {
        throw new UnsupportedOperationException(name() + " leaves the loss to the caller (lossOnDevice() is false)");
    }

    /** Whether {@link #gradients()} is cheap enough to check after every step (not where they live on a device). */
    default boolean gradientsOnHost() {
        return true;
    }

    @Override
    void close();
}
