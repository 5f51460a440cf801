package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cnnc.compiler.report.Json;
import dev.cnnc.runtime.json.JsonReader;
import dev.cnnc.runtime.train.Loss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every loss and its gradient against torch.nn.functional (Debian's python3-torch) on random outputs, labels and targets. */
class LossesAgainstTorchTest {
    @Test
    void everyLossMatchesPyTorch(@TempDir Path dir) throws Exception {
        int n = 5;
        int width = 4;
        Random r = new Random(12);
        float[] output = new float[n * width];
        float[] targets = new float[n * width];
        int[] labels = new int[n];
        List<Object> outRows = new ArrayList<>();
        List<Object> targetRows = new ArrayList<>();
        List<Object> labelList = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            List<Object> row = new ArrayList<>();
            List<Object> trow = new ArrayList<>();
            for (int i = 0; i < width; i++) {
                output[b * width + i] = (float) (r.nextGaussian() * 1.5);
                targets[b * width + i] = (float) (r.nextGaussian() * 1.5);
                row.add((double) output[b * width + i]);
                trow.add((double) targets[b * width + i]);
            }
            labels[b] = r.nextInt(width);
            outRows.add(row);
            targetRows.add(trow);
            labelList.add((long) labels[b]);
        }
        double delta = 0.7;
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("output", outRows);
        input.put("labels", labelList);
        input.put("targets", targetRows);
        input.put("delta", delta);
        Path file = dir.resolve("case.json");
        Files.writeString(file, Json.write(input));
        Process p = new ProcessBuilder(TorchCrossCheckTest.PYTHON, "../tools/torch_reference.py", "losses", "--input", file.toString())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        if (p.exitValue() != 0) {
            fail("PyTorch failed (is python3-torch installed?):\n" + text);
        }
        Map<?, ?> torch = (Map<?, ?>) JsonReader.parse(text.trim());
        for (Loss loss : Loss.values()) {
            Map<?, ?> expected = (Map<?, ?>) torch.get(loss.name().toLowerCase(Locale.ROOT));
            float[] grad = new float[n * width];
            double value = loss.lossAndGradient(output, labels, targets, 0, n, width, delta, grad);
            assertEquals(((Number) expected.get("loss")).doubleValue(), value, 1e-6, loss + " loss");
            List<?> rows = (List<?>) expected.get("grad");
            for (int b = 0; b < n; b++) {
                List<?> row = (List<?>) rows.get(b);
                for (int i = 0; i < width; i++) {
                    assertEquals(((Number) row.get(i)).doubleValue(), grad[b * width + i], 1e-6, loss + " gradient [" + b + "][" + i + "]");
                }
            }
        }
    }
}
