package dev.cnnc.cli;


import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.Shape;
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

    /**
     * What data must look like for a model, and how the file's train section normalises it. A flat
     * input of N features is read as 1x1xN.
     */
    static dev.cnnc.runtime.data.IdxDataDir.Spec dataSpec(CheckedModel model) {
        dev.cnnc.compiler.train.TrainConfig.Normalization norm = model.train() == null ? null : model.train().normalize();
        float scale = norm == null || norm.scale() == null ? 1f : norm.scale().floatValue();
        float[] mean = norm == null ? new float[0] : toFloats(norm.mean());
        float[] std = norm == null ? new float[0] : toFloats(norm.std());
        int[] in = model.input().flat() ? new int[] {1, 1, (int) model.input().channels()}
                : new int[] {(int) model.input().channels(), (int) model.input().height(), (int) model.input().width()};
        if (segmentation(model)) {
            Shape out = model.output();
            return new dev.cnnc.runtime.data.IdxDataDir.Spec(in[0], in[1], in[2], (int) out.channels(), scale, mean, std,
                    (int) out.height(), (int) out.width());
        }
        return new dev.cnnc.runtime.data.IdxDataDir.Spec(in[0], in[1], in[2], (int) model.output().elements(), scale, mean, std);
    }

    /** Whether the model classifies each pixel: an HxWxK output trained with a classification loss (cross_entropy, nll). */
    static boolean segmentation(CheckedModel model) {
        return !model.output().flat() && model.train() != null && model.train().loss() != null && model.train().loss().classification();
    }

    static float[] toFloats(java.util.List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    static void printDiagnostics(CheckResult result, PrintWriter err) {
        for (Diagnostic d : result.diagnostics()) {
            err.print(DiagnosticRenderer.render(d, result.source()));
        }
    }
}
