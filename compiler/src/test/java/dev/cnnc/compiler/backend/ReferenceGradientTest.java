package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.reference.ReferenceModel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The oracle checked against calculus: for every layer kind, the reference backward agrees
 * with central finite differences of the reference forward, in double, on random data.
 * The loss is the dot product of the output with a random vector.
 */
class ReferenceGradientTest {
    static final double H = 1e-6;
    static final double TOLERANCE = 1e-6;

    @Test
    void backwardMatchesFiniteDifferences() {
        Random random = new Random(7);
        List<String> bodies = RandomModels.bodies(random);
        for (int m = 0; m < bodies.size(); m++) {
            CheckedModel model = RandomModels.check("G" + m, bodies.get(m));
            check(model, bodies.get(m), random);
        }
    }

    static void check(CheckedModel model, String text, Random random) {
        ReferenceModel ref = new ReferenceModel(model);
        int n = 3;
        fill(ref.params, random, 1.0);
        for (ParamLayout.Entry e : ref.layout().entries()) {
            if (e.role() == ParamLayout.Role.RUNNING_VAR) {
                for (int i = 0; i < e.size(); i++) {
                    ref.state[e.offset() + i] = 0.5 + random.nextDouble();
                }
            }
        }
        double[] x = new double[n * (int) model.input().elements()];
        fill(x, random, 1.0);
        int outSize = n * (int) model.output().elements();
        double[] dOut = new double[outSize];
        fill(dOut, random, 1.0);
        float[][] masks = new float[8][];
        java.util.function.IntFunction<float[]> maskOf = k -> {
            if (masks[k] == null) {
                masks[k] = new float[1 << 16];
                Random mr = new Random(k);
                for (int i = 0; i < masks[k].length; i++) {
                    masks[k][i] = mr.nextDouble() < 0.3 ? 0f : 1f / 0.7f;
                }
            }
            return masks[k];
        };
        ref.forward(x, n, true, maskOf);
        double[] dx = ref.backward(dOut);
        double[] grads = ref.grads.clone();
        for (ParamLayout.Entry e : ref.layout().entries()) {
            if (!e.trainable()) {
                continue;
            }
            for (int s = 0; s < Math.min(12, e.size()); s++) {
                int i = e.offset() + random.nextInt(e.size());
                double fd = difference(ref, ref.params, i, x, n, dOut, maskOf);
                assertClose(grads[i], fd, text, e.name() + "[" + (i - e.offset()) + "]");
            }
        }
        for (int s = 0; s < 12; s++) {
            int i = random.nextInt(x.length);
            double fd = difference(ref, x, i, x, n, dOut, maskOf);
            assertClose(dx[i], fd, text, "input[" + i + "]");
        }
    }

    private static double difference(ReferenceModel ref, double[] target, int i, double[] x, int n, double[] dOut,
                                     java.util.function.IntFunction<float[]> masks) {
        double keep = target[i];
        double h = H * Math.max(1, Math.abs(keep));
        target[i] = keep + h;
        double plus = dot(ref.forward(x, n, true, masks), dOut);
        target[i] = keep - h;
        double minus = dot(ref.forward(x, n, true, masks), dOut);
        target[i] = keep;
        return (plus - minus) / (2 * h);
    }

    private static void assertClose(double analytic, double numeric, String model, String what) {
        double err = Math.abs(analytic - numeric) / Math.max(1, Math.max(Math.abs(analytic), Math.abs(numeric)));
        assertTrue(err < TOLERANCE, () -> "gradient of " + what + ": backward " + analytic + ", finite difference " + numeric
                + " in\n" + model);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static void fill(double[] a, Random r, double scale) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (r.nextDouble() * 2 - 1) * scale;
        }
    }
}
