package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every example in the language contract must parse and check and mean what the page says.
 * Reads the project's copy (docs/LANGUAGE.md) and, where it sits beside the checkout as in CI,
 * the contract itself (../shared/LANGUAGE.md).
 */
class LanguageExamplesTest {
    private static final Pattern FENCE = Pattern.compile("```\\w*\\n(.*?)```", Pattern.DOTALL);

    static List<String> examples(Path md) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = FENCE.matcher(Files.readString(md, StandardCharsets.UTF_8));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static List<Path> contracts() {
        List<Path> out = new ArrayList<>(List.of(Path.of("../docs/LANGUAGE.md")));
        if (Files.exists(Path.of("../../shared/LANGUAGE.md"))) {
            out.add(Path.of("../../shared/LANGUAGE.md"));
        }
        return out;
    }

    @Test
    void everyExampleChecks() throws IOException {
        for (Path md : contracts()) {
            List<String> examples = examples(md);
            int checked = 0;
            for (String example : examples) {
                if (example.contains("error:")) {
                    continue; // an example of output, checked below
                }
                String source = example.contains("model ") ? example : "model Fragment\ninput 56x56x64\n" + example;
                CheckResult r = Frontend.check(new SourceFile("example.cnn", source));
                assertTrue(r.ok(), () -> md + " example does not check:\n" + source + "\n" + GoldenTest.render(r));
                checked++;
            }
            assertTrue(checked >= 3, "found the examples in " + md);
        }
    }

    @Test
    void examplesMeanWhatThePageSays() throws IOException {
        for (Path md : contracts()) {
            List<String> examples = examples(md);
            CheckResult fashion = Frontend.check(new SourceFile("fashion.cnn", examples.get(0)));
            assertEquals("FashionNet", fashion.model().name());
            assertEquals("28x28x1", fashion.model().input().toString());
            assertEquals(421_642, fashion.model().trainableParams());
            assertEquals("10", fashion.model().output().toString());
            assertEquals(4, fashion.model().train().epochs());
            String vggText = examples.stream().filter(e -> e.contains("VGG16")).findFirst().orElseThrow();
            assertEquals(138_357_544, Frontend.check(new SourceFile("vgg.cnn", vggText)).model().totalParams());
        }
    }

    @Test
    void theErrorExampleIsReproduced() {
        // LANGUAGE.md: "tiny.cnn:4:1: error: maxpool 2 needs at least 2x2 input, but gets 1x1x64"
        String tiny = "model Tiny\ninput 28x28x1\nconv 32 3x3; maxpool 2; conv 64 3x3; maxpool 2; conv 64 3x3; maxpool 2\nmaxpool 2\n";
        CheckResult r = Frontend.check(new SourceFile("tiny.cnn", tiny));
        String text = GoldenTest.render(r);
        assertTrue(text.startsWith("tiny.cnn:4:1: error: maxpool 2 needs at least 2x2 input, but gets 1x1x64"), text);
        assertTrue(text.contains("    maxpool 2\n    ^\n"), text);
        assertTrue(text.contains("  shapes so far: 28x28x1 -> conv 26x26x32 -> maxpool 13x13x32 -> ... -> "), text);
    }
}
