package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.emit.opencl.ClHostEmitter;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.verify.GradCheck;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.train.SoftmaxCrossEntropy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL backend (on PoCL in CI) against the double-precision reference and against the
 * Java backend, on the same random models as the Java backend's test: every layer kind and
 * fusion, forward in training and inference, every parameter gradient, the input gradient,
 * running statistics, dropout. Outputs and gradients are poisoned with NaN first.
 */
class OpenClVsJavaTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void openClMatchesTheReferenceAndTheJavaBackend() throws Exception {
        List<String> bodies = RandomModels.bodies(new Random(23));
        checkAll(BothBackends.compile(bodies, "C"), bodies, "");
    }

    /** Each model on OpenCL against the double-precision reference and the Java backend; {@code label} names the build in failures. */
    private static void checkAll(BothBackends both, List<String> bodies, String label) throws Exception {
        for (int m = 0; m < bodies.size(); m++) {
            String body = bodies.get(m);
            try (Network cl = both.openCl(m); Network java = both.java(m)) {
                for (GradCheck.Row row : GradCheck.againstReference(both.models().get(m), cl, 3, new Random(m))) {
                    assertTrue(row.within(TOLERANCE), () -> row.what() + ": relative error " + row.error() + " (float32 noise floor "
                            + row.floor() + ") on OpenCL" + (label.isEmpty() ? "" : " with " + label) + "\n" + body);
                }
                compare(cl, java, new Random(100 + m), label.isEmpty() ? body : label + ": " + body);
            }
        }
    }

    /** Each body checked as model {@code <prefix><m>} and compiled for both backends in one javac run. */
    private record BothBackends(String prefix, List<CheckedModel> models, Map<String, Class<?>> classes) {
        static BothBackends compile(List<String> bodies, String prefix) throws Exception {
            List<CheckedModel> models = new ArrayList<>();
            List<JavaFile> files = new ArrayList<>();
            for (int m = 0; m < bodies.size(); m++) {
                CheckedModel model = RandomModels.check(prefix + m, bodies.get(m));
                models.add(model);
                files.add(OpenClBackend.sources(model, "ocl" + prefix, true).host());
                files.add(JavaBackend.source(model, "jv" + prefix, JavaBackend.Options.DEFAULT));
            }
            return new BothBackends(prefix, models, InMemoryJavac.compile(files));
        }

        Network openCl(int m) throws Exception {
            return OpenClBackend.instantiate(classes.get("ocl" + prefix + "." + ClHostEmitter.className(prefix + m)), 4, 0);
        }

        Network java(int m) throws Exception {
            return JavaBackend.instantiate(classes.get("jv" + prefix + "." + prefix + m), 4, 1);
        }
    }

    /**
     * Kernels are built for the device's preferred float vector width; the same source built for
     * the other widths (a GPU typically prefers 1) must compute the same: dense layers whose
     * input lengths leave remainders for every width, and wider than one local-memory tile.
     */
    @Test
    void everyVectorWidthComputesTheSame() throws Exception {
        List<String> bodies = List.of("input 5x5x3\nflatten; dense 7; relu; dense 3",
                "input 2100\ndense 9; tanh; dense 2",
                "input 9x7x5\nconv 6 3x3 pad same; maxpool 2; relu; flatten; dense 4");
        BothBackends both = BothBackends.compile(bodies, "W");
        for (String width : List.of("1", "2", "4", "8", "16")) {
            withProperty("cnnc.opencl.vectorWidth", width, () -> compareAll(both, bodies, "VW=" + width));
        }
    }

    /**
     * A device without doubles sums in float (batchnorm's statistics, bias gradients, softmax):
     * built so here (-DCNNC_FLOAT_SUMS on PoCL, which has doubles), the same random models and two
     * batchnorm stacks stay within the same tolerance of the double-precision reference.
     */
    @Test
    void floatSumsStayWithinTheBound() throws Exception {
        List<String> bodies = new ArrayList<>(RandomModels.bodies(new Random(23)).subList(0, 16));
        bodies.add("input 9x9x3\nconv 8 3x3 pad same nobias; batchnorm; relu; conv 8 3x3 pad same nobias; batchnorm; relu; flatten; dense 3");
        bodies.add("input 40\ndense 12; batchnorm; tanh; dense 4");
        BothBackends both = BothBackends.compile(bodies, "F");
        withProperty("cnnc.opencl.floatSums", "true", () -> checkAll(both, bodies, "float sums"));
    }

    /**
     * On a GPU the products stage their tiles in local memory (work groups of TGX x TGY items,
     * k in chunks); forced on here, at a GPU's usual width (1) and PoCL's (8), they must compute
     * the same: sizes that leave partial groups and partial k chunks, and weight gradients summed
     * over the batch.
     */
    @Test
    void localMemoryTilesComputeTheSame() throws Exception {
        List<String> bodies = List.of("input 2100\ndense 9; tanh; dense 2",
                "input 9x7x5\nconv 6 3x3 pad same; maxpool 2; relu; flatten; dense 4",
                "input 12x10x2\nconv 20 3x3 pad 1; relu; conv 3 2x2 stride 2; flatten; dense 70; relu; dense 5");
        BothBackends both = BothBackends.compile(bodies, "L");
        withProperty("cnnc.opencl.localTiles", "true", () -> {
            for (String width : List.of("1", "8")) {
                withProperty("cnnc.opencl.vectorWidth", width, () -> compareAll(both, bodies, "local tiles, VW=" + width));
            }
            // as on a 132-unit GPU: dense products split along k, weight gradients into many partial sums
            withProperty("cnnc.opencl.computeUnits", "132", () -> withProperty("cnnc.opencl.vectorWidth", "1",
                    () -> compareAll(both, bodies, "local tiles, VW=1, split for 132 compute units")));
        });
    }

    /**
     * Products split into parts sized from the device's compute units (a dense layer's k in
     * chunks, a weight gradient's batches in partial sums, added up by a second kernel that
     * applies bias and activation): with the count forced to what a large GPU gets, with and
     * without local tiles, on sizes whose chunks of k end mid-tile.
     */
    @Test
    void productsSplitForManyComputeUnitsComputeTheSame() throws Exception {
        List<String> bodies = List.of("input 2100\ndense 9; tanh; dense 2",
                "input 6x6x4\nconv 5 3x3 pad same; relu; flatten; dense 300; relu; dense 130; sigmoid; dense 3",
                "input 12x10x2\nconv 20 3x3 pad 1; relu; conv 3 2x2 stride 2; flatten; dense 70; relu; dense 5");
        BothBackends both = BothBackends.compile(bodies, "S");
        for (String units : List.of("132", "7")) {
            withProperty("cnnc.opencl.computeUnits", units, () -> compareAll(both, bodies, "split for " + units + " compute units"));
        }
    }

    private static void compareAll(BothBackends both, List<String> bodies, String label) throws Exception {
        for (int m = 0; m < bodies.size(); m++) {
            try (Network cl = both.openCl(m); Network java = both.java(m)) {
                compare(cl, java, new Random(m), label + ": " + bodies.get(m));
            }
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with a system property set, then restores it. */
    private static void withProperty(String key, String value, Body body) throws Exception {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            body.run();
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    /** The same weights, input, seed and output gradient through both backends: outputs and gradients agree. */
    static void compare(Network cl, Network java, Random random, String body) {
        float[] p = java.parameters();
        for (int i = 0; i < p.length; i++) {
            p[i] = random.nextFloat() - 0.5f;
        }
        System.arraycopy(p, 0, cl.parameters(), 0, p.length);
        float[] st = java.state();
        for (int i = 0; i < st.length; i++) {
            st[i] = 0.5f + random.nextFloat();
        }
        System.arraycopy(st, 0, cl.state(), 0, st.length);
        int n = 3;
        float[] x = new float[n * java.inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        long seed = random.nextLong();
        java.setSeed(seed);
        cl.setSeed(seed);
        java.setInputGradientEnabled(true);
        cl.setInputGradientEnabled(true);
        for (int step = 0; step < 2; step++) {
            Arrays.fill(cl.output(), Float.NaN);
            java.forward(x, n, true);
            cl.forward(x, n, true);
            check("training output", java.output(), cl.output(), n * java.outputSize(), body);
            for (int i = 0; i < n * java.outputSize(); i++) {
                float g = random.nextFloat() * 2 - 1;
                java.outputGradient()[i] = g;
                cl.outputGradient()[i] = g;
            }
            Arrays.fill(cl.inputGradient(), Float.NaN);
            java.backward(n);
            cl.backward(n);
            check("parameter gradients", java.gradients(), cl.gradients(), p.length, body);
            check("input gradient", java.inputGradient(), cl.inputGradient(), n * java.inputSize(), body);
            check("running statistics", java.state(), cl.state(), st.length, body);
            if (java.randomState() != cl.randomState()) {
                throw new AssertionError("dropout generators diverged\n" + body);
            }
        }
        // The loss on the device: labels in, loss and predictions out, the gradient left for backward.
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(java.outputSize());
        }
        java.forward(x, n, true);
        cl.forward(x, n, true);
        double expected = SoftmaxCrossEntropy.lossAndGradient(java.output(), labels, 0, n, java.outputSize(), java.outputGradient());
        int[] predicted = new int[n];
        Arrays.fill(cl.outputGradient(), Float.NaN); // must not be used: the gradient is on the device
        double loss = cl.crossEntropy(labels, 0, n, predicted);
        if (!(Math.abs(loss - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)))) {
            throw new AssertionError("device cross-entropy " + loss + ", Java " + expected + "\n" + body);
        }
        for (int b = 0; b < n; b++) {
            int best = 0;
            for (int i = 1; i < java.outputSize(); i++) {
                best = java.output()[b * java.outputSize() + i] > java.output()[b * java.outputSize() + best] ? i : best;
            }
            if (predicted[b] != best) {
                throw new AssertionError("predicted class of example " + b + ": OpenCL " + predicted[b] + ", Java " + best + "\n" + body);
            }
        }
        java.backward(n);
        cl.backward(n);
        check("parameter gradients after the device loss", java.gradients(), cl.gradients(), p.length, body);

        java.forward(x, n, false);
        cl.forward(x, n, false);
        check("inference output", java.output(), cl.output(), n * java.outputSize(), body);
    }

    static void check(String what, float[] expected, float[] actual, int count, String body) {
        double scale = 1e-2;
        for (int i = 0; i < count; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        for (int i = 0; i < count; i++) {
            double err = Math.abs(expected[i] - actual[i]) / scale;
            if (!(err <= TOLERANCE)) {
                throw new AssertionError(what + "[" + i + "]: Java " + expected[i] + ", OpenCL " + actual[i] + " (relative " + err + ")\n" + body);
            }
        }
    }
}
