package dev.cnnc.compiler.verify;

import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.reference.ReferenceModel;
import dev.cnnc.runtime.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * The two checks behind {@code cnnc gradcheck} and the backend tests, on random data:
 * the reference backward against central finite differences (in double), and generated code
 * against the reference (outputs poisoned with NaN first). Each answers one row per tensor
 * with the worst relative error found.
 */
public final class GradCheck {
    /**
     * One compared tensor: what it is ("conv1.weight", "input gradient"), its worst relative
     * error, and its float32 noise floor (how far the double-precision reference itself moves
     * when parameters and input are perturbed by float32 rounding and every activation and
     * gradient is stored as float32; 0 where not measured).
     */
    public record Row(String layer, String what, double error, double floor) {
        public Row(String layer, String what, double error) {
            this(layer, what, error, 0);
        }

        /** Whether the error is within {@code tolerance}, or within 100 times the noise floor of an ill-conditioned tensor. */
        public boolean within(double tolerance) {
            return error <= Math.max(tolerance, 100 * floor);
        }
    }

    /** Relative size of a float32 rounding error. */
    private static final double FLOAT_ROUNDING = 0x1p-24;

    private GradCheck() {
    }

    /** Random parameters: weights and biases in [-0.5, 0.5), norm weights and running variances in [0.5, 1.5). */
    public static void randomize(ReferenceModel ref, Random random) {
        for (ParamLayout.Entry e : ref.layout().entries()) {
            double[] dst = e.trainable() ? ref.params : ref.state;
            for (int i = 0; i < e.size(); i++) {
                boolean positive = e.role() == dev.cnnc.runtime.TensorInfo.Role.NORM_WEIGHT || e.role() == dev.cnnc.runtime.TensorInfo.Role.RUNNING_VAR;
                // rounded to float so that the generated code sees exactly the same values
                dst[e.offset() + i] = (float) (positive ? 0.5 + random.nextDouble() : random.nextDouble() - 0.5);
            }
        }
    }

    /** Reference backward against finite differences, sampling up to {@code samples} entries per tensor. */
    public static List<Row> finiteDifferences(CheckedModel model, int n, int samples, Random random) {
        ReferenceModel ref = new ReferenceModel(model);
        randomize(ref, random);
        double[] x = uniform(n * (int) model.input().elements(), random);
        double[] dOut = uniform(n * (int) model.output().elements(), random);
        IntFunction<float[]> masks = fixedMasks(n * maxElements(model));
        ref.forward(x, n, true, masks);
        double[] dx = ref.backward(dOut);
        double[] grads = ref.grads.clone();
        List<Row> rows = new ArrayList<>();
        for (ParamLayout.Entry e : ref.layout().entries()) {
            if (!e.trainable()) {
                continue;
            }
            double worst = 0;
            for (int s = 0; s < Math.min(samples, e.size()); s++) {
                int i = e.offset() + (e.size() <= samples ? s : random.nextInt(e.size()));
                worst = Math.max(worst, relative(grads[i], difference(ref, ref.params, i, x, n, dOut, masks)));
            }
            rows.add(new Row(e.layer(), e.name(), worst));
        }
        double worst = 0;
        for (int s = 0; s < samples; s++) {
            int i = random.nextInt(x.length);
            worst = Math.max(worst, relative(dx[i], difference(ref, x, i, x, n, dOut, masks)));
        }
        rows.add(new Row("input", "input gradient", worst));
        return rows;
    }

    /**
     * Generated code against the reference for two inference forwards, two training steps' worth
     * of forward and backward, and one more inference forward: outputs, running statistics, every
     * parameter's gradient, the input gradient. The network's parameters are overwritten with
     * random ones.
     */
    public static List<Row> againstReference(CheckedModel model, Network net, int n, Random random) {
        ReferenceModel ref = new ReferenceModel(model);
        randomize(ref, random);
        copy(ref.params, net.parameters());
        copy(ref.state, net.state());
        float[] x = new float[n * net.inputSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        double[] xd = toDouble(x, x.length);
        net.setSeed(random.nextLong());
        net.setInputGradientEnabled(true);
        List<Row> rows = new ArrayList<>();
        // inference first, twice: a network that has not trained runs on inference's arrays, shared
        // by liveness (each pass finds the last one's values in them, never zeros)
        double[] inferred = ref.forward(xd, n, false, k -> null);
        for (int pass = 0; pass < 2; pass++) {
            poison(net.output());
            net.forward(x, n, false);
            rows.add(new Row("output", "inference output before training", error(inferred, net.output(), n * net.outputSize())));
        }
        for (int pass = 0; pass < 2; pass++) {
            double[] stateBefore = ref.state.clone();
            poison(net.output(), net.gradients(), net.inputGradient());
            net.forward(x, n, true);
            double[] expected = ref.forward(xd, n, true, net::dropoutMask);
            rows.add(new Row("output", "training output", error(expected, net.output(), n * net.outputSize())));
            rows.add(new Row("state", "running statistics", error(ref.state, net.state(), ref.state.length)));
            float[] dy = net.outputGradient();
            for (int i = 0; i < n * net.outputSize(); i++) {
                dy[i] = random.nextFloat() * 2 - 1;
            }
            double[] dyd = toDouble(dy, n * net.outputSize());
            net.backward(n);
            double[] dx = ref.backward(dyd);
            // The same computation with float32-sized perturbations of parameters and input, and every
            // activation and gradient stored as float32: how much of a difference this model's
            // conditioning alone explains.
            ReferenceModel shaken = new ReferenceModel(model);
            shaken.roundToFloat = true;
            shake(ref.params, shaken.params, random);
            System.arraycopy(stateBefore, 0, shaken.state, 0, stateBefore.length);
            double[] xs = xd.clone();
            shake(xd, xs, random);
            shaken.forward(xs, n, true, net::dropoutMask);
            double[] dxs = shaken.backward(dyd);
            for (ParamLayout.Entry e : ref.layout().entries()) {
                if (e.trainable()) {
                    double[] expectedGrad = Arrays.copyOfRange(ref.grads, e.offset(), e.offset() + e.size());
                    rows.add(new Row(e.layer(), e.name(), error(expectedGrad, Arrays.copyOfRange(net.gradients(), e.offset(), e.offset() + e.size()),
                            e.size()), error(expectedGrad, Arrays.copyOfRange(shaken.grads, e.offset(), e.offset() + e.size()))));
                }
            }
            rows.add(new Row("input", "input gradient", error(dx, net.inputGradient(), n * net.inputSize()), error(dx, dxs)));
        }
        poison(net.output());
        net.forward(x, n, false);
        rows.add(new Row("output", "inference output", error(ref.forward(xd, n, false, k -> null), net.output(), n * net.outputSize())));
        return worstPerTensor(rows);
    }

    /**
     * Worst relative error over a tensor, relative to its largest magnitude (at least 1e-2). A
     * tensor that is mathematically zero everywhere (a bias right before batchnorm) is judged
     * by its absolute values instead: float arithmetic leaves cancellation noise there.
     */
    public static double error(double[] expected, float[] actual, int count) {
        double scale = 0;
        for (int i = 0; i < count; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        double worst = 0;
        if (scale < 1e-9) {
            for (int i = 0; i < count; i++) {
                double a = Math.abs(actual[i]);
                worst = Double.isNaN(a) ? Double.POSITIVE_INFINITY : Math.max(worst, a); // absolute: compared with the same bound
            }
            return worst;
        }
        scale = Math.max(scale, 1e-2);
        for (int i = 0; i < count; i++) {
            double err = Math.abs(expected[i] - actual[i]) / scale;
            worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : Math.max(worst, err);
        }
        return worst;
    }

    /** The same measure between two double arrays. */
    static double error(double[] expected, double[] actual) {
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        scale = Math.max(scale, 1e-2);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / scale);
        }
        return scale < 1e-9 ? 0 : worst;
    }

    /** to[i] = from[i] * (1 + u), u uniform within one float32 rounding. */
    private static void shake(double[] from, double[] to, Random random) {
        for (int i = 0; i < from.length; i++) {
            to[i] = from[i] * (1 + (random.nextDouble() * 2 - 1) * FLOAT_ROUNDING);
        }
    }

    private static List<Row> worstPerTensor(List<Row> rows) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            int at = -1;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).what().equals(r.what())) {
                    at = i;
                }
            }
            if (at < 0) {
                out.add(r);
            } else {
                Row old = out.get(at);
                out.set(at, new Row(r.layer(), r.what(), Math.max(old.error(), r.error()), Math.max(old.floor(), r.floor())));
            }
        }
        return out;
    }

    private static double difference(ReferenceModel ref, double[] target, int i, double[] x, int n, double[] dOut,
                                     IntFunction<float[]> masks) {
        double keep = target[i];
        double h = 1e-6 * Math.max(1, Math.abs(keep));
        target[i] = keep + h;
        double plus = dot(ref.forward(x, n, true, masks), dOut);
        target[i] = keep - h;
        double minus = dot(ref.forward(x, n, true, masks), dOut);
        target[i] = keep;
        return (plus - minus) / (2 * h);
    }

    private static double relative(double analytic, double numeric) {
        return Math.abs(analytic - numeric) / Math.max(1, Math.max(Math.abs(analytic), Math.abs(numeric)));
    }

    private static int maxElements(CheckedModel model) {
        long max = model.input().elements();
        for (var l : model.layers()) {
            max = Math.max(max, l.output().elements());
        }
        return (int) max;
    }

    /** Dropout masks fixed for the whole check, so that every forward of a finite difference sees the same ones. */
    private static IntFunction<float[]> fixedMasks(int size) {
        List<float[]> masks = new ArrayList<>();
        return k -> {
            while (masks.size() <= k) {
                Random r = new Random(masks.size());
                float[] m = new float[size];
                for (int i = 0; i < size; i++) {
                    m[i] = r.nextDouble() < 0.3 ? 0f : 1f / 0.7f;
                }
                masks.add(m);
            }
            return masks.get(k);
        };
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[] uniform(int size, Random random) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = random.nextDouble() * 2 - 1;
        }
        return a;
    }

    private static void poison(float[]... arrays) {
        for (float[] a : arrays) {
            Arrays.fill(a, Float.NaN);
        }
    }

    private static void copy(double[] from, float[] to) {
        for (int i = 0; i < from.length; i++) {
            to[i] = (float) from[i];
        }
    }

    private static double[] toDouble(float[] a, int count) {
        double[] d = new double[count];
        for (int i = 0; i < count; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
