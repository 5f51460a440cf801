package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.DiagnosticKind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DiagnosticsDocTest {
    @Test
    void everyCodeIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("../docs/DIAGNOSTICS.md"));
        for (DiagnosticKind kind : DiagnosticKind.values()) {
            assertTrue(doc.contains("| " + kind.code() + " | " + kind.name() + " |"), kind + " missing from docs/DIAGNOSTICS.md");
        }
    }
}
