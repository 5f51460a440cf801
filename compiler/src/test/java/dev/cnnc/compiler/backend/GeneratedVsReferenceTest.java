package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.reference.ReferenceModel;
import dev.cnnc.runtime.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Generated code against the double-precision reference, for every layer kind and fusion, on
 * random shapes and random data, in every build variant (Vector API or plain Java, fused or
 * not, one thread or two). Outputs and gradients are poisoned with NaN before each run, so a
 * value the code forgets to write cannot pass. Relative error per tensor at most 1e-4.
 */
class GeneratedVsReferenceTest {
    static final double TOLERANCE = 1e-4;

    record Variant(String pkg, JavaBackend.Options options, int threads) {
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant("v.vector", new JavaBackend.Options(true, true), 2),
            new Variant("v.scalar", new JavaBackend.Options(false, true), 1),
            new Variant("v.unfused", new JavaBackend.Options(true, false), 2));

    @Test
    void generatedCodeMatchesTheReference() throws Exception {
        Random random = new Random(11);
        List<String> bodies = RandomModels.bodies(random);
        List<CheckedModel> models = new ArrayList<>();
        List<JavaFile> files = new ArrayList<>();
        for (int m = 0; m < bodies.size(); m++) {
            CheckedModel model = RandomModels.check("M" + m, bodies.get(m));
            models.add(model);
            for (Variant v : VARIANTS) {
                files.add(JavaBackend.source(model, v.pkg(), v.options()));
            }
        }
        Map<String, Class<?>> classes = InMemoryJavac.compile(files);
        for (int m = 0; m < models.size(); m++) {
            for (Variant v : VARIANTS) {
                try (Network net = JavaBackend.instantiate(classes.get(v.pkg() + ".M" + m), 4, v.threads())) {
                    compare(models.get(m), net, bodies.get(m) + "\n(" + v + ")", new Random(m));
                }
            }
        }
    }

    static void compare(CheckedModel model, Network net, String what, Random random) {
        ReferenceModel ref = new ReferenceModel(model);
        for (ParamLayout.Entry e : ref.layout().entries()) {
            double[] dst = e.trainable() ? ref.params : ref.state;
            for (int i = 0; i < e.size(); i++) {
                double v = switch (e.role()) {
                    case NORM_WEIGHT -> 0.5 + random.nextDouble();
                    case RUNNING_VAR -> 0.5 + random.nextDouble();
                    default -> random.nextDouble() - 0.5;
                };
                dst[e.offset() + i] = (float) v;
            }
        }
        copy(ref.params, net.parameters());
        copy(ref.state, net.state());
        int n = 3;
        float[] x = new float[n * net.inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        double[] xd = toDouble(x);
        net.setSeed(random.nextLong());
        net.setInputGradientEnabled(true);
        for (int pass = 0; pass < 2; pass++) {
            poison(net.output(), net.gradients(), net.inputGradient());
            net.forward(x, n, true);
            double[] expected = ref.forward(xd, n, true, net::dropoutMask);
            assertClose(expected, net.output(), n * net.outputSize(), what + ": training output");
            assertClose(ref.state, net.state(), ref.state.length, what + ": running statistics");

            float[] dy = net.outputGradient();
            for (int i = 0; i < n * net.outputSize(); i++) {
                dy[i] = random.nextFloat() * 2 - 1;
            }
            double[] dyd = toDouble(Arrays.copyOf(dy, n * net.outputSize()));
            net.backward(n);
            double[] dx = ref.backward(dyd);
            for (ParamLayout.Entry e : ref.layout().entries()) {
                if (e.trainable()) {
                    assertClose(Arrays.copyOfRange(ref.grads, e.offset(), e.offset() + e.size()),
                            Arrays.copyOfRange(net.gradients(), e.offset(), e.offset() + e.size()), e.size(), what + ": gradient of " + e.name());
                }
            }
            assertClose(dx, net.inputGradient(), n * net.inputSize(), what + ": input gradient");
        }
        poison(net.output());
        net.forward(x, n, false);
        assertClose(ref.forward(xd, n, false, k -> null), net.output(), n * net.outputSize(), what + ": inference output");
    }

    static void assertClose(double[] expected, float[] actual, int count, String what) {
        double scale = 0;
        for (int i = 0; i < count; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        if (scale < 1e-9) {
            // Mathematically zero (a bias right before batchnorm): float arithmetic leaves only cancellation noise.
            for (int i = 0; i < count; i++) {
                final int at = i;
                assertTrue(Math.abs(actual[i]) <= 1e-4, () -> what + ": expected 0 at " + at + ", got " + actual[at]);
            }
            return;
        }
        scale = Math.max(scale, 1e-2);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < count; i++) {
            double err = Math.abs(expected[i] - actual[i]) / scale;
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        final double w = worst;
        final int a = at;
        assertTrue(worst <= TOLERANCE, () -> what + ": relative error " + w + " at " + a + " (expected " + expected[a] + ", got "
                + actual[a] + ")");
    }

    static void poison(float[]... arrays) {
        for (float[] a : arrays) {
            Arrays.fill(a, Float.NaN);
        }
    }

    static void copy(double[] from, float[] to) {
        for (int i = 0; i < from.length; i++) {
            to[i] = (float) from[i];
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
