package dev.cnnc.cli;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.report.Json;
import dev.cnnc.compiler.report.JsonReport;
import dev.cnnc.compiler.report.Summary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check", header = "Check .cnn files: shapes, parameters, FLOPs and memory per layer, or every error with a hint.",
        description = {"Check .cnn files: print each layer's output shape, parameters and FLOPs,",
                "or every error in the file, each with its line and a hint."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every file checked", "1:a file has errors", "2:wrong command line or unreadable file"})
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "the .cnn files to check")
    List<Path> files;

    @Option(names = "--json", description = "print the summary (or the diagnostics) as JSON; an array when several files are given")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    HelpOption help;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int exit = Main.OK;
        List<Object> reports = new ArrayList<>();
        boolean first = true;
        for (Path file : files) {
            CheckResult result;
            try {
                result = Frontend.check(SourceFiles.read(file));
            } catch (SourceFiles.Unreadable e) {
                err.println("cnnc: error: " + e.getMessage());
                exit = Math.max(exit, Main.USAGE);
                continue;
            }
            if (!result.ok()) {
                exit = Math.max(exit, Main.FILE_ERRORS);
            }
            if (json) {
                reports.add(JsonReport.of(result));
                continue;
            }
            for (Diagnostic d : result.diagnostics()) {
                err.print(DiagnosticRenderer.render(d, result.source()));
            }
            if (result.ok()) {
                if (!first) {
                    out.println();
                }
                out.print(Summary.render(result.model()));
                first = false;
            } else {
                long errors = result.diagnostics().stream().filter(Diagnostic::isError).count();
                err.println(errors + " error" + (errors == 1 ? "" : "s") + " in " + result.source().name());
            }
        }
        if (json) {
            out.print(Json.write(reports.size() == 1 ? reports.get(0) : reports));
        }
        return exit;
    }
}
