package dev.cnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LossAndScheduleTest {
    /** Each loss's gradient against central finite differences of its value (away from kinks). */
    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(3);
        int n = 3;
        int width = 5;
        float[] out = new float[n * width];
        float[] targets = new float[n * width];
        int[] labels = new int[n];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) r.nextGaussian();
            targets[i] = (float) r.nextGaussian();
        }
        for (int b = 0; b < n; b++) {
            labels[b] = r.nextInt(width);
        }
        for (Loss loss : Loss.values()) {
            float[] grad = new float[out.length];
            loss.lossAndGradient(out, labels, targets, 0, n, width, 0.8, grad);
            for (int k = 0; k < out.length; k++) {
                float keep = out[k];
                float h = 1e-3f;
                out[k] = keep + h;
                double plus = loss.lossAndGradient(out, labels, targets, 0, n, width, 0.8, new float[out.length]);
                out[k] = keep - h;
                double minus = loss.lossAndGradient(out, labels, targets, 0, n, width, 0.8, new float[out.length]);
                out[k] = keep;
                assertEquals((plus - minus) / (2 * h), grad[k], 2e-3, loss + " at " + k);
            }
        }
    }

    @Test
    void schedulesFollowPyTorch() {
        Schedule step = new Schedule(Schedule.Kind.STEP, 3, 0.1, 10);
        assertEquals(0.5, step.rate(0.5, 0), 1e-12);
        assertEquals(0.5, step.rate(0.5, 2), 1e-12);
        assertEquals(0.05, step.rate(0.5, 3), 1e-12);
        assertEquals(0.0005, step.rate(0.5, 9), 1e-12);
        Schedule cosine = new Schedule(Schedule.Kind.COSINE, 0, 0, 4);
        // CosineAnnealingLR(T_max=4, eta_min=0): base * (1 + cos(pi * e / 4)) / 2
        assertEquals(1.0, cosine.rate(1.0, 0), 1e-12);
        assertEquals((1 + Math.cos(Math.PI / 4)) / 2, cosine.rate(1.0, 1), 1e-12);
        assertEquals(0.5, cosine.rate(1.0, 2), 1e-12);
        assertEquals(0.0, cosine.rate(1.0, 4), 1e-12);
    }

    @Test
    void l1AddsTheSignOfEachParameter() {
        float[] p = {2f, -3f, 0f};
        float[] g = {0.5f, 0.5f, 0.5f};
        Optimizer.addL1(p, g, 0.1);
        assertEquals(0.6f, g[0], 1e-7);
        assertEquals(0.4f, g[1], 1e-7);
        assertEquals(0.5f, g[2], 1e-7);
    }
}
