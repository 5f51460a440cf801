package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The batchnorm kernels against double precision, on values far from 0 with a small spread (where
 * y = x * a + b would cancel in float), and bit for bit the same with one thread or two; with the
 * plain-Java sums and with the Vector API's (float within blocks, double across them).
 */
class BatchNormKernelTest {
    @ParameterizedTest(name = "vector sums: {0}")
    @ValueSource(booleans = {false, true})
    void farFromZeroWithASmallSpreadAndAnyThreadCount(boolean vector) {
        Gemm gemm = Gemm.of(vector);
        Random r = new Random(5);
        int channels = 6;
        int count = 3000;
        float[] x = new float[channels * count];
        float[] dy = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = 1000f + (float) r.nextGaussian() * 0.01f; // mean 1000, std 0.01
            dy[i] = (float) r.nextGaussian();
        }
        float[] params = new float[2 * channels];
        for (int c = 0; c < channels; c++) {
            params[c] = 0.5f + c;
            params[channels + c] = 0.1f * c;
        }
        float[][] ys = new float[2][];
        float[][] dxs = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel par = new Parallel(threads)) {
                float[] y = new float[x.length];
                float[] dx = new float[x.length];
                float[] state = new float[2 * channels];
                float[] grads = new float[2 * channels];
                double[] mean = new double[channels];
                double[] inv = new double[channels];
                Ops.batchNormTrain(par, gemm, x, y, channels, count, false, params, 0, channels, state, 0, channels, 0.1f, 1e-5f, mean, inv,
                        Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
                Ops.batchNormBackward(par, gemm, x, dy, dx, channels, count, false, params, 0, grads, channels, mean, inv,
                        Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
                ys[threads - 1] = y;
                dxs[threads - 1] = dx;
            }
        }
        assertArrayEquals(ys[0], ys[1], "forward: the same bits for one and two threads");
        assertArrayEquals(dxs[0], dxs[1], "backward: the same bits for one and two threads");
        for (int c = 0; c < channels; c++) {
            double m = 0;
            for (int i = 0; i < count; i++) {
                m += x[c * count + i];
            }
            m /= count;
            double v = 0;
            for (int i = 0; i < count; i++) {
                v += (x[c * count + i] - m) * (x[c * count + i] - m);
            }
            double inv = 1 / Math.sqrt(v / count + 1e-5);
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int i = 0; i < count; i++) {
                sumDy += dy[c * count + i];
                sumDyXhat += dy[c * count + i] * (x[c * count + i] - m) * inv;
            }
            for (int i = 0; i < count; i++) {
                int k = c * count + i;
                double xhat = (x[k] - m) * inv;
                double y = xhat * params[c] + params[channels + c];
                double dx = params[c] * inv * (dy[k] - sumDy / count - xhat * sumDyXhat / count);
                assertEquals(y, ys[0][k], 1e-5 * Math.max(1, Math.abs(y)), "y at " + k);
                // dx is of the order gamma * inv * |dy| (up to about 4 * gamma * inv here): within 1e-5 of that
                assertEquals(dx, dxs[0][k], 4e-5 * params[c] * inv, "dx at " + k);
            }
        }
    }
}
