package dev.cnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PyTorch's update rules, written out by hand in double for three steps, against ours. */
class OptimizerTest {
    static final float[] GRADS_1 = {0.5f, -1f, 2f};
    static final float[] GRADS_2 = {-0.25f, 0.75f, 1f};
    static final float[] GRADS_3 = {0.1f, 0.2f, -0.3f};

    @Test
    void sgdWithMomentumNesterovAndWeightDecay() {
        for (boolean nesterov : new boolean[] {false, true}) {
            float[] p = {1f, -2f, 0.5f};
            double[] ref = {1, -2, 0.5};
            double[] buf = new double[3];
            Optimizer sgd = Optimizer.sgd(3, 0.1, 0.9, nesterov, 0.01);
            float[][] grads = {GRADS_1, GRADS_2, GRADS_3};
            for (int step = 0; step < 3; step++) {
                sgd.step(p, grads[step]);
                for (int i = 0; i < 3; i++) {
                    double g = grads[step][i] + 0.01 * ref[i];
                    buf[i] = step == 0 ? g : 0.9 * buf[i] + g;
                    ref[i] -= 0.1 * (nesterov ? g + 0.9 * buf[i] : buf[i]);
                    assertEquals(ref[i], p[i], 1e-6, "sgd nesterov=" + nesterov + " step " + step);
                }
            }
        }
    }

    @Test
    void adam() {
        float[] p = {1f, -2f, 0.5f};
        double[] ref = {1, -2, 0.5};
        double[] m = new double[3];
        double[] v = new double[3];
        Optimizer adam = Optimizer.adam(3, 0.01, 0.9, 0.999, 1e-8, 0);
        float[][] grads = {GRADS_1, GRADS_2, GRADS_3};
        for (int t = 1; t <= 3; t++) {
            adam.step(p, grads[t - 1]);
            for (int i = 0; i < 3; i++) {
                double g = grads[t - 1][i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double mhat = m[i] / (1 - Math.pow(0.9, t));
                double vhat = v[i] / (1 - Math.pow(0.999, t));
                ref[i] -= 0.01 * mhat / (Math.sqrt(vhat) + 1e-8);
                assertEquals(ref[i], p[i], 1e-6, "adam step " + t);
            }
        }
    }

    /** Split across two threads, each update gives the one-thread result bit for bit (every element is its own). */
    @Test
    void updatesSplitAcrossThreadsMatchOneThreadBitForBit() {
        java.util.Random r = new java.util.Random(4);
        int size = 50_000 + r.nextInt(1000); // several parts of the split, and an odd end
        try (dev.cnnc.runtime.kernels.Parallel two = new dev.cnnc.runtime.kernels.Parallel(2)) {
            Optimizer[][] pairs = {
                {Optimizer.adam(size, 0.01, 0.9, 0.999, 1e-8, 0.01), Optimizer.adam(size, 0.01, 0.9, 0.999, 1e-8, 0.01)},
                {Optimizer.sgd(size, 0.05, 0.9, true, 0.001), Optimizer.sgd(size, 0.05, 0.9, true, 0.001)},
            };
            for (Optimizer[] pair : pairs) {
                float[] one = new float[size];
                for (int i = 0; i < size; i++) {
                    one[i] = r.nextFloat() * 2 - 1;
                }
                float[] split = one.clone();
                for (int step = 0; step < 3; step++) {
                    float[] grads = new float[size];
                    for (int i = 0; i < size; i++) {
                        grads[i] = r.nextFloat() * 2 - 1;
                    }
                    pair[0].step(one, grads.clone());
                    pair[1].step(split, grads.clone(), two);
                    assertTrue(java.util.Arrays.equals(one, split), pair[0].rule().kind() + " step " + step + ": two threads differ from one");
                }
            }
        }
    }

    @Test
    void crossEntropyMatchesTheDefinition() {
        float[] logits = {1f, 2f, 0.5f, -1f, 0f, 3f};
        int[] labels = {1, 2};
        float[] grad = new float[6];
        double loss = SoftmaxCrossEntropy.lossAndGradient(logits, labels, 0, 2, 3, grad);
        double expected = 0;
        for (int b = 0; b < 2; b++) {
            double sum = 0;
            for (int i = 0; i < 3; i++) {
                sum += Math.exp(logits[b * 3 + i]);
            }
            expected += -Math.log(Math.exp(logits[b * 3 + labels[b]]) / sum) / 2;
            for (int i = 0; i < 3; i++) {
                double pi = Math.exp(logits[b * 3 + i]) / sum;
                assertEquals((pi - (i == labels[b] ? 1 : 0)) / 2, grad[b * 3 + i], 1e-7);
            }
        }
        assertEquals(expected, loss, 1e-9);
    }
}
