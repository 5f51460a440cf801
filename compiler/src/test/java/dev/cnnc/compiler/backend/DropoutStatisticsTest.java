package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Dropout measured on both backends: over many masks the share of dropped values lies within 3
 * sigma of p, every kept value is exactly 1/(1-p) (in float32), and the output is the input times
 * the mask (so the scale is applied where the mask says). Before this, no test measured either:
 * the reference multiplies by whatever mask the generated code reports.
 */
class DropoutStatisticsTest {
    @ParameterizedTest(name = "{0}, p {1}")
    @CsvSource({"java, 0.1", "java, 0.5", "java, 0.75", "opencl, 0.1", "opencl, 0.5", "opencl, 0.75"})
    void dropRateAndScaleAreDropouts(String backend, double p) throws Exception {
        int features = 105;
        CheckedModel m = RandomModels.check("D", "input " + features + "\ndropout " + p);
        int batch = 32;
        try (Network net = backend.equals("java") ? JavaBackend.build(m, batch, 2, JavaBackend.Options.DEFAULT)
                : OpenClBackend.build(m, batch, 0, true)) {
            net.setSeed(11);
            float keep = (float) (1.0 / (1.0 - p));
            float[] x = new float[batch * features];
            for (int i = 0; i < x.length; i++) {
                x[i] = 1f + (i % 13) / 7f; // never 0: a dropped value is the mask's doing
            }
            long dropped = 0;
            long seen = 0;
            for (int round = 0; round < 40; round++) {
                net.forward(x, batch, true);
                float[] mask = net.dropoutMask(0);
                float[] y = net.output();
                for (int i = 0; i < batch * features; i++) {
                    float v = mask[i];
                    assertTrue(v == 0f || v == keep, backend + ": mask value " + v + ", expected 0 or " + keep);
                    assertEquals(x[i] * v, y[i], 0f, backend + ": output " + i + " is not the input times the mask");
                    dropped += v == 0f ? 1 : 0;
                    seen++;
                }
            }
            double sigma = Math.sqrt(seen * p * (1 - p));
            assertTrue(Math.abs(dropped - seen * p) <= 3 * sigma,
                    backend + ": dropped " + dropped + " of " + seen + ", expected " + seen * p + " +- " + 3 * sigma);
            // inference is the identity
            net.forward(x, batch, false);
            for (int i = 0; i < batch * features; i++) {
                assertEquals(x[i], net.output()[i], 0f, backend + ": inference changed value " + i);
            }
        }
    }
}
