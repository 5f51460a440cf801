package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.report.Summary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * good/x.cnn must check and print exactly x.summary; bad/y.cnn must give exactly y.diagnostics,
 * and every line marked "# expect: CODE..." must carry exactly those diagnostics (Error Prone
 * style: the expectation stands next to the line).
 */
class GoldenTest {
    private static final Pattern EXPECT = Pattern.compile("#\\s*expect:\\s*([EW]\\d{3}(?:\\s+[EW]\\d{3})*)");

    static CheckResult check(Path file) throws IOException {
        String name = Golden.ROOT.relativize(file).toString().replace('\\', '/');
        return Frontend.check(new SourceFile(name, Files.readString(file, StandardCharsets.UTF_8)));
    }

    @TestFactory
    List<DynamicTest> goodFilesPrintTheirSummary() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : Golden.cnnFiles("good")) {
            tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
                CheckResult result = check(file);
                assertTrue(result.ok(), () -> "expected no errors, got " + render(result));
                Golden.compare(Golden.sibling(file, ".summary"), Summary.render(result.model()));
            }));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> badFilesPrintTheirDiagnostics() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : Golden.cnnFiles("bad")) {
            tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
                CheckResult result = check(file);
                assertTrue(result.diagnostics().stream().noneMatch(d -> d.kind() == DiagnosticKind.INTERNAL), () -> render(result));
                assertEquals(expectedMarkers(file), actualMarkers(result), "codes per line (# expect: markers) in " + file);
                Golden.compare(Golden.sibling(file, ".diagnostics"), render(result));
            }));
        }
        return tests;
    }

    @Test
    void everyDiagnosticHasAGoldenCase() throws IOException {
        Set<String> covered = new TreeSet<>();
        for (Path file : Golden.cnnFiles("bad")) {
            check(file).diagnostics().forEach(d -> covered.add(d.code()));
        }
        Set<String> missing = new TreeSet<>();
        for (DiagnosticKind kind : DiagnosticKind.values()) {
            if (kind != DiagnosticKind.INTERNAL && !covered.contains(kind.code())) {
                missing.add(kind.code() + " " + kind.name());
            }
        }
        assertEquals(Set.of(), missing, "diagnostics without a golden file under golden/bad");
    }

    static String render(CheckResult result) {
        return result.diagnostics().stream().map(d -> DiagnosticRenderer.render(d, result.source())).collect(Collectors.joining());
    }

    private static Set<String> expectedMarkers(Path file) throws IOException {
        Set<String> out = new TreeSet<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = EXPECT.matcher(lines.get(i));
            if (m.find()) {
                for (String code : m.group(1).trim().split("\\s+")) {
                    out.add((i + 1) + ":" + code);
                }
            }
        }
        return out;
    }

    private static Set<String> actualMarkers(CheckResult result) {
        Set<String> out = new TreeSet<>();
        for (Diagnostic d : result.diagnostics()) {
            out.add(d.span().line() + ":" + d.code());
        }
        return out;
    }
}
