package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.verify.GradCheck;
import dev.cnnc.runtime.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Generated code against the double-precision reference, for every layer kind and fusion, on
 * random shapes and random data, in every build variant (Vector API or plain Java, fused or
 * not, one thread or two). Outputs and gradients are poisoned with NaN before each run, so a
 * value the code forgets to write cannot pass. Relative error per tensor at most 1e-4, or 100
 * times the tensor's float32 noise floor where the model itself amplifies rounding.
 */
class GeneratedVsReferenceTest {
    static final double TOLERANCE = 1e-4;

    record Variant(String pkg, JavaBackend.Options options, int threads) {
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant("v.vector", new JavaBackend.Options(true, true), 2),
            new Variant("v.scalar", new JavaBackend.Options(false, true), 1),
            new Variant("v.unfused", new JavaBackend.Options(true, false), 2),
            // one example per convolution group: a batch of 3 runs as 3 groups on 2 threads, so the
            // per-thread buffers and the weight gradient's partial sums are exercised
            new Variant("v.grouped", new JavaBackend.Options(true, true, 1), 2),
            // every convolution direct (im2col and products), where the others take Winograd's F(2x2, 3x3)
            new Variant("v.direct", new JavaBackend.Options(true, true, JavaEmitter.GROUP_BYTES, false), 2));

    @Test
    void generatedCodeMatchesTheReference() throws Exception {
        List<String> bodies = RandomModels.bodies(new Random(11));
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
                    for (GradCheck.Row row : GradCheck.againstReference(models.get(m), net, 3, new Random(m))) {
                        String body = bodies.get(m);
                        assertTrue(row.within(TOLERANCE), () -> row.what() + ": relative error " + row.error() + " (float32 noise floor "
                                + row.floor() + ") in " + v + "\n" + body);
                    }
                }
            }
        }
    }
}
