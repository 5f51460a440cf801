package dev.cnnc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.SourceFile;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** E310's hint, where it names edits ("change 'X' on line L to 'Y'"), fixes the join when each edit is applied. */
class JoinHintTest {
    private static final Pattern EDIT = Pattern.compile("change '([^']*)' on line (\\d+) to '([^']*)'");

    @Test
    void theSuggestedEditsFixTheJoin() {
        List<String> cases = List.of(
                "input 28x28x16\nconcat {\n  conv 8 1x1\n} {\n  conv 8 3x3\n} {\n  maxpool 3 stride 1 pad 1; conv 8 1x1\n}",
                "input 20x20x4\nconcat { conv 4 5x5 } { }\nconcat { } { conv 2 3x3 dilation 2 } { conv 3 1x1 }",
                "input 14x14x32\nmultiply { } { globalavgpool; conv 8 1x1; relu; conv 16 1x1; sigmoid }",
                "input 9x9x12\nconv 12 3x3 pad same\nmultiply {\n  globalavgpool\n  conv 3 1x1; relu\n  conv 6 1x1; hardsigmoid\n} { }");
        for (String body : cases) {
            String text = "model J\n" + body + "\nflatten\ndense 3\n";
            List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
            for (int round = 0; round < 3; round++) {
                CheckResult r = Frontend.check(new SourceFile("j.cnn", String.join("\n", lines)));
                Diagnostic d = r.diagnostics().stream().filter(x -> x.kind().code().equals("E310")).findFirst().orElse(null);
                if (d == null) {
                    break;
                }
                Matcher m = EDIT.matcher(String.valueOf(d.hint()));
                assertTrue(m.find(), "the hint names an edit: " + d.hint() + "\n" + String.join("\n", lines));
                do {
                    int line = Integer.parseInt(m.group(2)) - 1;
                    assertTrue(lines.get(line).contains(m.group(1)), "line " + (line + 1) + " holds '" + m.group(1) + "'");
                    lines.set(line, lines.get(line).replace(m.group(1), m.group(3)));
                } while (m.find());
            }
            CheckResult after = Frontend.check(new SourceFile("j.cnn", String.join("\n", lines)));
            assertTrue(after.ok(), "after the hints' edits\n" + String.join("\n", lines) + "\nstill fails: " + after.diagnostics());
        }
    }
}
