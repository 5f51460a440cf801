package dev.cnnc.cli;

import dev.cnnc.compiler.model.CheckedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/**
 * A command that works on one .cnn file: reads and checks it (printing its diagnostics), runs,
 * and turns a {@link Models.Stop} into "cnnc: error: ..." and its exit code.
 */
abstract class ModelCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the .cnn file")
    Path file;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption help;

    /** Runs on the checked model; returns the exit code. */
    abstract int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Exception;

    /** Checks of the command line that need no model; a Stop to refuse it. */
    void validate() throws Models.Stop {
    }

    @Override
    public final Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try {
            validate();
            return run(Models.load(file, err), spec.commandLine().getOut(), err);
        } catch (Models.Stop stop) {
            err.println("cnnc: error: " + stop.getMessage());
            return stop.exitCode;
        }
    }
}
