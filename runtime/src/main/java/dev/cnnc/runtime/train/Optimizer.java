package dev.cnnc.runtime.train;

/**
 * An update rule over the flat parameter array, with PyTorch's exact formulas (torch.optim.SGD
 * and Adam, including L2 weight decay added to the gradient). State is allocated once.
 */
public interface Optimizer {
    /** One step: params updated from grads. */
    default void step(float[] params, float[] grads) {
        step(params, grads, dev.cnnc.runtime.kernels.Parallel.SERIAL);
    }

    /**
     * One step, the elements split across {@code parallel}'s threads: every element's update reads
     * and writes only that element, so the result is the same bit for bit for any thread count.
     */
    void step(float[] params, float[] grads, dev.cnnc.runtime.kernels.Parallel parallel);

    /** Elementwise updates of ~10 operations an element: parts of at least {@link dev.cnnc.runtime.kernels.Parallel#MIN_WORK} operations. */
    int GRAIN = dev.cnnc.runtime.kernels.Parallel.grain(10);

    /**
     * Restricts the updates to {@code ranges} ([from, to) of the parameter array, in order): the
     * others are frozen, neither changed nor given optimizer state (weight decay and momentum skip
     * them too), as parameters with requires_grad=False in PyTorch.
     */
    void setTrainable(int[][] ranges);

    /** body over [0, length), or over the trainable ranges when some are frozen, split across parallel's threads. */
    static void forTrainable(dev.cnnc.runtime.kernels.Parallel parallel, int length, int[][] trainable, dev.cnnc.runtime.kernels.Parallel.Range body) {
        if (trainable == null) {
            parallel.forRange(length, GRAIN, body);
            return;
        }
        for (int[] r : trainable) {
            int start = r[0];
            parallel.forRange(r[1] - r[0], GRAIN, (from, to) -> body.run(start + from, start + to));
        }
    }

    /** Changes the learning rate (schedules call this once per epoch). */
    void setLearningRate(double lr);

    /** The update rule and its settings, for backends that run the update where the parameters live. */
    Rule rule();

    /** What {@link #rule()} returns: the kind of update and every number it uses. */
    record Rule(Kind kind, double learningRate, double momentum, boolean nesterov, double beta1, double beta2, double eps,
                double weightDecay) {
        public enum Kind { SGD, ADAM }
    }

    /** Named state arrays (momentum buffers, moments), for checkpoints; restored in place. */
    java.util.Map<String, float[]> stateArrays();

    /** Scalar state (steps taken), for checkpoints. */
    long steps();

    void setSteps(long steps);

    /**
     * Adds the gradient of an L1 penalty {@code l1 * sum |p|} to grads: l1 * sign(p) (0 at 0,
     * as PyTorch's sign). Applied before the update, like the loss term it stands for.
     */
    static void addL1(float[] params, float[] grads, double l1) {
        float w = (float) l1;
        for (int i = 0; i < params.length; i++) {
            grads[i] += w * Math.signum(params[i]);
        }
    }

    static Optimizer sgd(int size, double lr, double momentum, boolean nesterov, double weightDecay) {
        return new Sgd(size, lr, momentum, nesterov, weightDecay);
    }

    static Optimizer adam(int size, double lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(size, lr, beta1, beta2, eps, weightDecay);
    }

    final class Sgd implements Optimizer {
        private int[][] trainable;

        @Override
        public void setTrainable(int[][] ranges) {
            trainable = ranges == null ? null : ranges.clone();
        }

        private final float[] velocity;
        private float lr;
        private final float momentum;
        private final boolean nesterov;
        private final float weightDecay;
        private boolean first = true;

        Sgd(int size, double lr, double momentum, boolean nesterov, double weightDecay) {
            this.velocity = momentum != 0 ? new float[size] : null;
            this.lr = (float) lr;
            this.momentum = (float) momentum;
            this.nesterov = nesterov;
            this.weightDecay = (float) weightDecay;
        }

        @Override
        public void step(float[] params, float[] grads, dev.cnnc.runtime.kernels.Parallel parallel) {
            boolean firstStep = first;
            Optimizer.forTrainable(parallel, params.length, trainable, (from, to) -> update(params, grads, from, to, firstStep));
            first = false;
        }

        private void update(float[] params, float[] grads, int from, int to, boolean firstStep) {
            for (int i = from; i < to; i++) {
                float g = grads[i];
                if (weightDecay != 0) {
                    g += weightDecay * params[i];
                }
                if (velocity != null) {
                    // PyTorch: the buffer starts as the first gradient, then buf = momentum*buf + g (dampening 0).
                    float v = firstStep ? g : momentum * velocity[i] + g;
                    velocity[i] = v;
                    g = nesterov ? g + momentum * v : v;
                }
                params[i] -= lr * g;
            }
        }

        @Override
        public void setLearningRate(double rate) {
            lr = (float) rate;
        }

        @Override
        public Rule rule() {
            return new Rule(Rule.Kind.SGD, lr, momentum, nesterov, 0, 0, 0, weightDecay);
        }

        @Override
        public java.util.Map<String, float[]> stateArrays() {
            return velocity == null ? java.util.Map.of() : java.util.Map.of("optimizer.momentum_buffer", velocity);
        }

        @Override
        public long steps() {
            return first ? 0 : 1;
        }

        @Override
        public void setSteps(long steps) {
            first = steps == 0;
        }
    }

    final class Adam implements Optimizer {
        private int[][] trainable;

        @Override
        public void setTrainable(int[][] ranges) {
            trainable = ranges == null ? null : ranges.clone();
        }

        private final float[] m;
        private final float[] v;
        private double lr;
        private final float beta1;
        private final float beta2;
        private final float eps;
        private final float weightDecay;
        private int t;

        Adam(int size, double lr, double beta1, double beta2, double eps, double weightDecay) {
            m = new float[size];
            v = new float[size];
            this.lr = lr;
            this.beta1 = (float) beta1;
            this.beta2 = (float) beta2;
            this.eps = (float) eps;
            this.weightDecay = (float) weightDecay;
        }

        @Override
        public void step(float[] params, float[] grads, dev.cnnc.runtime.kernels.Parallel parallel) {
            t++;
            double bc1 = 1 - Math.pow(beta1, t);
            double bc2 = 1 - Math.pow(beta2, t);
            float stepSize = (float) (lr / bc1);
            float bc2Sqrt = (float) Math.sqrt(bc2);
            Optimizer.forTrainable(parallel, params.length, trainable, (from, to) -> update(params, grads, from, to, stepSize, bc2Sqrt));
        }

        private void update(float[] params, float[] grads, int from, int to, float stepSize, float bc2Sqrt) {
            for (int i = from; i < to; i++) {
                float g = grads[i];
                if (weightDecay != 0) {
                    g += weightDecay * params[i];
                }
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom
                float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + eps;
                params[i] -= stepSize * m[i] / denom;
            }
        }

        @Override
        public void setLearningRate(double rate) {
            lr = rate;
        }

        @Override
        public Rule rule() {
            return new Rule(Rule.Kind.ADAM, lr, 0, false, beta1, beta2, eps, weightDecay);
        }

        @Override
        public java.util.Map<String, float[]> stateArrays() {
            java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
            out.put("optimizer.exp_avg", m);
            out.put("optimizer.exp_avg_sq", v);
            return out;
        }

        @Override
        public long steps() {
            return t;
        }

        @Override
        public void setSteps(long steps) {
            t = (int) steps;
        }
    }
}
