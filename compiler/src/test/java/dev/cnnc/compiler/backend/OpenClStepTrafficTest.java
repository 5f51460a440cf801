package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.opencl.OpenClContext;
import dev.cnnc.runtime.opencl.OpenClNetwork;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Optimizer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What a training step asks of the device (issue 29's host waits): the input batch and the labels
 * go in without waiting, the loss and the predictions come out, and the host waits only for
 * those; no queue is drained between ops unless per-op timing is asked for.
 */
class OpenClStepTrafficTest {
    @Test
    void aTrainingStepMovesOnlyItsBatchInAndItsLossOut() throws Exception {
        CheckedModel model = RandomModels.check("Traffic", "input 12x12x2\nconv 6 3x3 pad same; batchnorm; relu; maxpool 2\n"
                + "conv 8 3x3; relu; flatten; dense 16; dropout 0.25; relu; dense 5");
        int n = 7;
        try (OpenClNetwork net = (OpenClNetwork) OpenClBackend.build(model, n, 0, true)) {
            Initializer.pytorchDefault(net, 3);
            Optimizer adam = Optimizer.adam(net.parameters().length, 1e-3, 0.9, 0.999, 1e-8, 0);
            Random random = new Random(5);
            float[] x = new float[n * net.inputSize()];
            int[] labels = new int[n];
            int[] predicted = new int[n];
            Runnable step = () -> {
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                for (int i = 0; i < n; i++) {
                    labels[i] = random.nextInt(5);
                }
                net.forward(x, n, true);
                double loss = net.crossEntropy(labels, 0, n, predicted);
                assertTrue(Double.isFinite(loss));
                net.backward(n);
                net.step(adam, 0);
            };
            step.run(); // the first step sends the parameters and the optimizer's state
            OpenClContext.Traffic previous = null;
            for (int s = 0; s < 3; s++) {
                net.resetTraffic();
                step.run();
                OpenClContext.Traffic t = net.traffic();
                assertEquals(2, t.writes(), "in: the batch and its labels " + t);
                assertEquals(4L * n * net.inputSize() + 4L * n, t.writeBytes(), t.toString());
                assertEquals(2, t.reads(), "out: the loss per example and the predictions " + t);
                assertEquals(8L * n, t.readBytes(), t.toString());
                assertEquals(0, t.finishes(), "no queue drained between ops " + t);
                assertEquals(2, t.waits(), "the host waits only for the loss and the predictions " + t);
                assertTrue(t.launches() > 10, t.toString());
                if (previous != null) {
                    assertEquals(previous.launches(), t.launches(), "every step launches the same kernels");
                }
                previous = t;
            }
            net.setOpTiming(true);
            net.resetTraffic();
            step.run();
            assertTrue(net.traffic().finishes() >= net.opNames().size(), "timing ops drains the queue after each: " + net.traffic());
            assertTrue(java.util.Arrays.stream(net.forwardNanos()).allMatch(v -> v > 0), "and books every op's time");
        }
    }
}
