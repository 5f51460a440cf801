package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batchnorms kept in eval mode while training (fine-tuning with {@code freeze ... bn eval}): the
 * training forward equals the inference forward, the running statistics stay as they were, and
 * backward is the derivative of that fixed map, checked by central finite differences of
 * sum(output * r) on the input and on every parameter tensor, poisoned gradients first. The same
 * batchnorms left in training mode fail the first and the last check, so neither passes by accident.
 */
class EvalInTrainingTest {
    static final String BODY = """
            conv 5 3x3 pad same
            batchnorm
            relu
            conv 4 3x3 stride 2
            batchnorm
            flatten
            dense 6
            batchnorm
            tanh
            dense 3
            """;

    @ParameterizedTest(name = "fused {0}")
    @ValueSource(booleans = {true, false})
    void evalBatchNormsTrainAsTheirInferenceMap(boolean fuse) throws Exception {
        CheckedModel model = RandomModels.check("E", "input 7x7x2\n" + BODY);
        int n = 4;
        try (Network net = JavaBackend.build(model, n, 2, new JavaBackend.Options(true, fuse))) {
            Random random = new Random(5);
            for (int i = 0; i < net.parameters().length; i++) {
                net.parameters()[i] = (float) (random.nextDouble() - 0.5);
            }
            for (TensorInfo t : net.tensors()) {
                if (!t.trainable()) { // running means in [-0.5, 0.5), variances in [0.5, 1.5)
                    for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                        net.state()[i] = (float) (random.nextDouble() - (t.name().endsWith("var") ? -0.5 : 0.5));
                    }
                }
            }
            float[] x = new float[n * net.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (random.nextGaussian());
            }
            float[] r = new float[n * net.outputSize()];
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) (random.nextDouble() - 0.5);
            }
            net.forward(x, n, false);
            float[] inference = net.output().clone();
            float[] state = net.state().clone();

            net.forward(x, n, true); // batch statistics: another function, and it moves the running ones
            assertTrue(maxDifference(inference, net.output()) > 1e-2, "training mode normalises with the batch's statistics");
            System.arraycopy(state, 0, net.state(), 0, state.length);

            net.setEvalInTraining(Set.of("batchnorm1", "batchnorm2", "batchnorm3"));
            net.setInputGradientEnabled(true);
            net.forward(x, n, true);
            assertTrue(maxDifference(inference, net.output()) < 1e-5, "eval batchnorms: the training forward is the inference forward");
            assertArrayEquals(state, net.state(), "eval batchnorms leave their running statistics as they are");

            Arrays.fill(net.gradients(), Float.NaN);
            System.arraycopy(r, 0, net.outputGradient(), 0, r.length);
            net.backward(n);
            float[] gradients = net.gradients().clone();
            float[] inputGradient = Arrays.copyOf(net.inputGradient(), x.length);

            assertGradient("input", x, inputGradient, 0, x.length, () -> objective(net, x, n, r), random);
            for (TensorInfo t : net.tensors()) {
                if (t.trainable()) {
                    assertGradient(t.name(), net.parameters(), gradients, t.offset(), t.size(), () -> objective(net, x, n, r), random);
                }
            }
            assertArrayEquals(state, net.state(), "finite differences in eval mode leave the running statistics too");
        }
    }

    private static double objective(Network net, float[] x, int n, float[] r) {
        net.forward(x, n, true);
        double s = 0;
        for (int i = 0; i < r.length; i++) {
            s += (double) net.output()[i] * r[i];
        }
        return s;
    }

    /**
     * Up to 12 entries of values[from, from + count) against central differences; relative error
     * over them at most 1e-2. An entry whose step crosses a relu's kink (the one-sided differences
     * disagree) says nothing about the derivative and is left out; most must remain.
     */
    private static void assertGradient(String what, float[] values, float[] gradient, int from, int count,
                                       java.util.function.DoubleSupplier objective, Random random) {
        double h = 1e-3, errorSquares = 0, normSquares = 0;
        int samples = Math.min(12, count), kept = 0;
        double centre = objective.getAsDouble();
        for (int s = 0; s < samples; s++) {
            int i = from + (count <= 12 ? s : random.nextInt(count));
            assertTrue(Float.isFinite(gradient[i]), what + "[" + (i - from) + "] was not written");
            float old = values[i];
            values[i] = old + (float) h;
            double up = objective.getAsDouble();
            values[i] = old - (float) h;
            double down = objective.getAsDouble();
            values[i] = old;
            double numeric = (up - down) / (2 * h);
            if (Math.abs((up - centre) - (centre - down)) / h > 1e-2 * Math.abs(numeric) + 2e-4) {
                continue; // a kink inside [x - h, x + h]
            }
            kept++;
            errorSquares += (numeric - gradient[i]) * (numeric - gradient[i]);
            normSquares += numeric * numeric;
        }
        assertTrue(2 * kept >= samples, what + ": " + (samples - kept) + " of " + samples + " entries sit on a kink");
        double relative = Math.sqrt(errorSquares / Math.max(normSquares, 1e-12));
        assertTrue(relative < 1e-2, what + ": gradient off finite differences by " + relative + " (relative)");
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
