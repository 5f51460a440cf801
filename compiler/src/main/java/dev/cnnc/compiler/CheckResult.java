package dev.cnnc.compiler;

import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.model.CheckedModel;
import java.util.List;

/** What checking one file gives: the model when there were no errors, and every diagnostic. */
public record CheckResult(SourceFile source, CheckedModel model, List<Diagnostic> diagnostics) {
    public CheckResult {
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean ok() {
        return model != null && diagnostics.stream().noneMatch(Diagnostic::isError);
    }
}
