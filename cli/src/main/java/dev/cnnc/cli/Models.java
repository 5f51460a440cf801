package dev.cnnc.cli;


import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.model.CheckedModel;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Reads and checks a .cnn file for a command, printing its diagnostics the one way they are printed. */
final class Models {
    /** Why a command stops: the message is printed as "cnnc: error: ...", the code is the exit code. */
    static final class Stop extends Exception {
        final int exitCode;

        Stop(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    private Models() {
    }

    /** The checked model; diagnostics (warnings too) go to {@code err}. */
    static CheckedModel load(Path file, PrintWriter err) throws Stop {
        CheckResult result;
        try {
            result = Frontend.check(SourceFiles.read(file));
        } catch (SourceFiles.Unreadable e) {
            throw new Stop(Main.USAGE, e.getMessage());
        }
        printDiagnostics(result, err);
        if (!result.ok()) {
            long errors = result.diagnostics().stream().filter(Diagnostic::isError).count();
            throw new Stop(Main.FILE_ERRORS, errors + " error" + (errors == 1 ? "" : "s") + " in " + result.source().name());
        }
        return result.model();
    }

    static dev.cnnc.runtime.data.IdxDataDir.Spec dataSpec(CheckedModel model) {
        return dev.cnnc.compiler.train.DataSpecs.of(model);
    }

    static boolean segmentation(CheckedModel model) {
        return dev.cnnc.compiler.train.DataSpecs.segmentation(model);
    }

    static void printDiagnostics(CheckResult result, PrintWriter err) {
        for (Diagnostic d : result.diagnostics()) {
            err.print(DiagnosticRenderer.render(d, result.source()));
        }
    }
}
