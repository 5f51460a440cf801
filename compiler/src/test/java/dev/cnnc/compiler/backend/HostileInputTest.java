package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a user's text can do to generated code: nothing. And NaN flows through activations as in PyTorch. */
class HostileInputTest {
    private static CheckedModel model(String name, String text) {
        CheckResult r = Frontend.check(new SourceFile(name, text));
        assertTrue(r.ok(), r.diagnostics().toString());
        return r.model();
    }

    @Test
    void hostileFileNamesCannotBreakOrInjectIntoGeneratedCode() throws Exception {
        String text = "model Hostile\ninput 4x4x1\nconv 2 3x3 pad same; relu\nflatten\ndense 3\n";
        for (String name : List.of("d*/x\\u000a/a*\\u000aSystem.exit(3);\\u002f\\u002f.cnn", "a*/ System.exit(3); /*.cnn",
                "line\nbreak\r\u2028.cnn", "@{$L}%n\\.cnn")) {
            CheckedModel m = model(name, text);
            String java = JavaBackend.source(m, "p", JavaBackend.Options.DEFAULT).toString();
            String cl = OpenClBackend.sources(m, "p", true).kernels();
            for (String source : List.of(java, cl)) {
                // the name appears only escaped: no '*', '/'-'*', backslash or line break of its own survives
                assertTrue(source.contains(dev.cnnc.compiler.emit.SourceText.comment(name)), source.substring(0, 400));
                assertFalse(source.contains(name), "the raw name reached the source");
                assertFalse(source.contains("\\u"), "a unicode escape reached the source");
                assertFalse(source.contains("\u2028"));
            }
            // it compiles and computes what the model says
            try (Network net = JavaBackend.build(m, 2, 1, JavaBackend.Options.DEFAULT)) {
                float[] x = new float[2 * 16];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) Math.sin(i + 1);
                }
                net.forward(x, 2, false);
                for (int i = 0; i < 6; i++) {
                    assertTrue(Float.isFinite(net.output()[i]));
                }
            }
        }
    }

    /** PyTorch 1.13: relu(nan) = nan, max_pool2d over a window holding nan = nan, leaky_relu(nan) = nan. */
    @Test
    void nanPropagatesThroughReluPoolingAndLeakyRelu() throws Exception {
        for (String layers : List.of("conv 2 3x3 pad same; relu", "conv 2 3x3 pad same; maxpool 2; relu", "conv 2 3x3 pad same; relu; maxpool 2",
                "conv 2 3x3 pad same; leakyrelu 0.1", "conv 16 3x3 pad same; relu")) {
            for (boolean vector : new boolean[] {true, false}) {
                CheckedModel m = model("n.cnn", "model N\ninput 8x8x1\n" + layers + "\nflatten\ndense 3\n");
                try (Network net = JavaBackend.build(m, 1, 1, new JavaBackend.Options(vector, true))) {
                    java.util.Arrays.fill(net.parameters(), 0.1f);
                    float[] x = new float[64];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) Math.cos(i);
                    }
                    x[27] = Float.NaN;
                    net.forward(x, 1, false);
                    for (int i = 0; i < 3; i++) {
                        assertTrue(Float.isNaN(net.output()[i]), layers + (vector ? " (vector)" : " (plain)") + ": output " + i + " is "
                                + net.output()[i] + ", PyTorch gives nan");
                    }
                }
            }
        }
    }
}
