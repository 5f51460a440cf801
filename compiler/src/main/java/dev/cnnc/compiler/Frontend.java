package dev.cnnc.compiler;

import dev.cnnc.compiler.ast.ModelFile;
import dev.cnnc.compiler.check.DeclarationCheck;
import dev.cnnc.compiler.check.ShapeChecker;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.expand.Expander;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.Header;
import dev.cnnc.compiler.model.LayerNode;
import dev.cnnc.compiler.parse.SourceParser;
import dev.cnnc.compiler.train.TrainConfig;
import dev.cnnc.compiler.train.TrainSectionChecker;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The checking pipeline: parse, declarations, expand, shapes, train section. Each stage
 * reports into one {@link Diagnostics} and carries on, so a file's independent mistakes are
 * all reported in one run.
 */
public final class Frontend {
    /** Stack for the checking thread: nesting is bounded, but generously, and recursion must never overflow. */
    private static final long STACK_BYTES = 256L << 20;

    private Frontend() {
    }

    /** Checks a file. Never throws for anything in the file: problems come back as diagnostics. */
    public static CheckResult check(SourceFile source) {
        AtomicReference<CheckResult> result = new AtomicReference<>();
        Thread worker = new Thread(null, () -> result.set(checkHere(source)), "cnnc-check", STACK_BYTES);
        worker.start();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return result.get();
    }

    private static CheckResult checkHere(SourceFile source) {
        Diagnostics diagnostics = new Diagnostics();
        try {
            return new CheckResult(source, run(source, diagnostics), diagnostics.all());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // A bug in cnnc, not in the user's file; say so plainly instead of printing a stack trace.
            diagnostics.at(Span.startOf(source.name()), DiagnosticKind.INTERNAL, e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()))
                    .hint("please report this with the .cnn file that caused it").report();
            return new CheckResult(source, null, diagnostics.all());
        }
    }

    private static CheckedModel run(SourceFile source, Diagnostics diagnostics) {
        ModelFile file = SourceParser.parse(source, diagnostics);
        Header header = DeclarationCheck.check(file, diagnostics);
        List<LayerNode> layers = Expander.expand(file, diagnostics);
        if (header.input() == null) {
            return null;
        }
        ShapeChecker.Result shapes = ShapeChecker.check(header.input(), layers, diagnostics);
        var output = shapes.nodes() == null || shapes.nodes().isEmpty() ? null : shapes.nodes().get(shapes.nodes().size() - 1).output();
        List<String> names = shapes.nodes() == null ? null : CheckedModel.layersOf(shapes.nodes()).stream().map(CheckedNode.Layer::name).toList();
        TrainConfig train = TrainSectionChecker.check(file.trainSections(), header.input(), output, header.name(), names, diagnostics);
        if (diagnostics.hasErrors() || shapes.nodes() == null || header.name() == null) {
            return null;
        }
        return new CheckedModel(header.name(), source.name(), header.input(), shapes.nodes(), train,
                shapes.trainable(), shapes.nonTrainable(), shapes.flops(), shapes.activationElements());
    }
}
