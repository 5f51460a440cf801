package dev.cnnc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.SourceFile;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** E304's hint, applied as written, fixes the error it is attached to. */
class ResidualHintTest {
    private static final Pattern SHORTCUT = Pattern.compile("e\\.g\\. (shortcut \\{ [^}]* \\})");

    @Test
    void theSuggestedShortcutFixesTheMismatch() {
        List<String> cases = List.of("input 28x28x1\nresidual { conv 8 3x3 }", "input 28x28x3\nresidual { conv 16 3x3 stride 2 pad 1; relu; conv 16 3x3 pad 1 }",
                "input 32x32x16\nresidual { conv 32 3x3 stride 2 pad 1 }", "input 9x7x2\nresidual { conv 4 5x5; maxpool 2 }",
                "input 30x30x8\nresidual { conv 8 3x3 stride 3 }", "input 28x28x1\nresidual { conv 8 3x3 pad 1; maxpool 2 }",
                "input 17x17x3\nresidual { conv 6 2x2 stride 2 }");
        for (String body : cases) {
            String text = "model R\n" + body + "\nflatten\ndense 3\n";
            CheckResult before = Frontend.check(new SourceFile("r.cnn", text));
            Diagnostic d = before.diagnostics().stream().filter(x -> x.kind().code().equals("E304")).findFirst()
                    .orElseThrow(() -> new AssertionError("no E304 for " + body));
            Matcher m = SHORTCUT.matcher(String.valueOf(d.hint()));
            assertTrue(m.find(), "the hint names a shortcut: " + d.hint());
            String fixed = text.replaceFirst("(residual \\{[^\\n]*\\})", "$1 " + Matcher.quoteReplacement(m.group(1)));
            CheckResult after = Frontend.check(new SourceFile("r.cnn", fixed));
            assertTrue(after.ok(), "applying \"" + m.group(1) + "\" to\n" + text + "still fails: " + after.diagnostics());
        }
    }
}
