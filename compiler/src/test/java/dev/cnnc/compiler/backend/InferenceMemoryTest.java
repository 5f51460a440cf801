package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.report.MemoryEstimate;
import dev.cnnc.runtime.Network;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A network that only infers holds no gradient buffers (they are as large as the activations, so
 * inference took twice the memory it needs: ResNet-18 at 224x224 did not fit the default heap for
 * cnnc predict); its first backward allocates them, and then trains as before.
 */
class InferenceMemoryTest {
    @Test
    void gradientBuffersComeWithTheFirstBackward() throws Exception {
        CheckedModel model = RandomModels.check("I", "input 12x12x3\nresidual {\n conv 3 3x3 pad same; batchnorm; relu\n}\nconv 4 3x3\nflatten\ndense 5");
        int n = 3;
        try (Network net = JavaBackend.build(model, n, 1, JavaBackend.Options.DEFAULT)) {
            float[] x = input(net, n, i -> Math.sin(i));
            net.forward(x, n, false);
            long inferenceFloats = gradientFloats(net);
            assertEquals(0, inferenceFloats, "inference allocated gradient buffers");
            net.forward(x, n, true);
            assertEquals(0, gradientFloats(net), "a training forward needs no gradient buffer either");
            Arrays.fill(net.outputGradient(), 0.1f);
            net.backward(n);
            long trainingFloats = gradientFloats(net);
            // every tensor's gradient, at least as large as its activations (an example each)
            long activations = model.activationElements() * n;
            assertTrue(trainingFloats >= activations - (long) n * net.inputSize(), trainingFloats + " gradient floats for " + activations + " activations");
            for (float g : net.gradients()) {
                assertTrue(Float.isFinite(g));
            }
            // the estimate counts the gradients in training alone (JavaMemoryTest: it is what the class holds)
            assertTrue(MemoryEstimate.of(model, n, 1, false).activationBytes() < MemoryEstimate.of(model, n, 1, true).activationBytes());
        }
    }

    /** The floats in the generated class's gradient buffers (fields d0, d3, d3_1 ...), null ones counting 0. */
    private static long gradientFloats(Network net) throws IllegalAccessException {
        long total = 0;
        int fields = 0;
        for (Field f : net.getClass().getDeclaredFields()) {
            if (f.getType() == float[].class && f.getName().matches("d\\d+(_\\d+)?")) {
                fields++;
                f.setAccessible(true);
                float[] a = (float[]) f.get(net);
                total += a == null ? 0 : a.length;
            }
        }
        assertTrue(fields > 0, "no gradient buffer fields in " + net.getClass());
        return total;
    }

    /**
     * Gradients whose backward ranges do not meet share arrays (BufferLayouts): a chain of eight
     * convs and relus holds far fewer gradient arrays than tensors, and trains as before (the
     * generated-vs-reference and PyTorch cross-checks run every model so).
     */
    @Test
    void gradientsOfAChainShareAFewArrays() throws Exception {
        CheckedModel model = RandomModels.check("G", "input 10x10x2\nconv 4 3x3 pad same; relu; conv 4 3x3 pad same; relu; conv 4 3x3 pad same; relu\n"
                + "conv 4 3x3 pad same; relu; flatten; dense 6; relu; dense 3");
        int n = 2;
        try (Network net = JavaBackend.build(model, n, 1, JavaBackend.Options.DEFAULT)) {
            float[] x = input(net, n, i -> Math.cos(i));
            net.forward(x, n, true);
            Arrays.fill(net.outputGradient(), 0.1f);
            net.backward(n);
            int[] gradients = arrays(net, "d\\d+(_\\d+)?");
            int fields = gradients[0];
            assertTrue(fields >= 6, fields + " gradient buffers");
            assertTrue(gradients[1] <= 4, gradients[1] + " arrays for " + fields + " gradient buffers");
        }
    }

    /**
     * Activations share arrays by liveness (BufferLayouts): a network that has only inferred holds a
     * chain's activations in a few arrays, its first training forward gives what backward reads
     * arrays of their own, and inference after training runs on those. Every model of the
     * generated-vs-reference check infers twice on a fresh network before it trains.
     */
    @Test
    void inferenceHoldsAChainsActivationsInAFewArrays() throws Exception {
        CheckedModel model = RandomModels.check("A", "input 10x10x2\nconv 4 3x3 pad same; relu; conv 5 3x3 pad same; relu; conv 4 3x3 pad same; relu\n"
                + "conv 6 3x3 pad same; relu; conv 4 3x3 pad same; relu; flatten; dense 6; relu; dense 3");
        int n = 2;
        try (Network net = JavaBackend.build(model, n, 1, new JavaBackend.Options(true, false))) {
            float[] x = input(net, n, i -> Math.sin(3 * i));
            net.forward(x, n, false);
            float[] inferred = Arrays.copyOf(net.output(), n * net.outputSize());
            int[] inference = arrays(net, "t\\d+");
            assertTrue(inference[0] >= 12, inference[0] + " activation buffers");
            assertTrue(inference[1] <= 3, inference[1] + " arrays for " + inference[0] + " activations in inference");
            net.forward(x, n, true);
            int[] training = arrays(net, "t\\d+");
            // the relus' outputs (their backward and the next conv's read them), the input and the flattened tensor at least
            assertTrue(training[1] >= 8, training[1] + " arrays for " + training[0] + " activations in training");
            net.forward(x, n, false);
            org.junit.jupiter.api.Assertions.assertArrayEquals(inferred, Arrays.copyOf(net.output(), n * net.outputSize()),
                    "inference on the training arrays");
        }
    }

    /**
     * Training keeps for backward only what backward cannot cheaply remake: batchnorm's backward
     * takes its fused relu's flat points from its input, and a conv after a batchnorm remakes its
     * input from the batchnorm's (RecomputedInput), so no backward reads a batchnorm's output; and
     * batchnorm's input gradient takes its output gradient's array (written in place). The values
     * are checked by the generated-vs-reference and PyTorch cross-checks, which run such chains.
     */
    @Test
    void backwardRemakesABatchnormsOutputAndWritesItsGradientInPlace() throws Exception {
        CheckedModel model = RandomModels.check("B", "input 10x10x2\nconv 4 3x3 pad same; batchnorm; relu; conv 5 3x3 pad same; batchnorm; relu\n"
                + "maxpool 2; conv 4 3x3 pad same; flatten; dense 3");
        String source = JavaBackend.source(model, "t", JavaBackend.Options.DEFAULT).toString();
        java.util.regex.Matcher bn = java.util.regex.Pattern.compile("batchNormTrain\\(par, gemm, (t\\d+), (t\\d+),").matcher(source);
        java.util.List<String> outputs = new java.util.ArrayList<>();
        while (bn.find()) {
            outputs.add(bn.group(2));
        }
        assertEquals(2, outputs.size(), "two batchnorms in training");
        StringBuilder backward = new StringBuilder(); // the ops' backward methods
        for (String method : source.split("\n    (?=private |public )")) {
            if (method.startsWith("private void backward")) {
                backward.append(method);
            }
        }
        for (String t : outputs) {
            assertTrue(!java.util.regex.Pattern.compile("\\b" + t + "\\b").matcher(backward).find(), "backward reads " + t
                    + ", a batchnorm's output");
        }
        assertTrue(backward.indexOf("batchNormRecompute(") >= 0, "the conv after the first batchnorm remakes its input");
        int n = 2;
        try (Network net = JavaBackend.build(model, n, 1, JavaBackend.Options.DEFAULT)) {
            net.forward(input(net, n, i -> Math.sin(5 * i)), n, true);
            Arrays.fill(net.outputGradient(), 0.1f);
            net.backward(n);
            java.util.regex.Matcher back = java.util.regex.Pattern.compile("Ops\\.batchNormBackward\\(par, gemm, t\\d+, (d\\d+), (d\\d+),")
                    .matcher(source);
            int inPlace = 0;
            while (back.find()) {
                Field dy = net.getClass().getDeclaredField(back.group(1));
                Field dx = net.getClass().getDeclaredField(back.group(2));
                dy.setAccessible(true);
                dx.setAccessible(true);
                assertTrue(dy.get(net) == dx.get(net), back.group(2) + " is not written in place of " + back.group(1));
                inPlace++;
            }
            assertEquals(2, inPlace, "both batchnorms write their input gradients in place");
        }
    }

    /** {buffers (float[] fields of the generated class whose names match {@code names}) holding an array, distinct arrays among them}. */
    private static int[] arrays(Network net, String names) throws IllegalAccessException {
        java.util.Set<float[]> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int fields = 0;
        for (Field f : net.getClass().getDeclaredFields()) {
            if (f.getType() == float[].class && f.getName().matches(names)) {
                f.setAccessible(true);
                float[] a = (float[]) f.get(net);
                if (a != null) {
                    fields++;
                    distinct.add(a);
                }
            }
        }
        return new int[] {fields, distinct.size()};
    }

    /** n examples of input, element i being {@code value(i)}. */
    private static float[] input(Network net, int n, java.util.function.IntToDoubleFunction value) {
        float[] x = new float[n * net.inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) value.applyAsDouble(i);
        }
        return x;
    }
}
