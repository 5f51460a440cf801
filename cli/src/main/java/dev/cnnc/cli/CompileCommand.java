package dev.cnnc.cli;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "compile", description = "Compile a .cnn file to source code: one Java class implementing dev.cnnc.runtime.Network.")
final class CompileCommand implements Callable<Integer> {
    enum Backend { java, opencl }

    @Parameters(paramLabel = "FILE", description = "the .cnn file")
    Path file;

    @Option(names = "--backend", paramLabel = "java", description = "what to generate (default: java)")
    Backend backend = Backend.java;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "where to write the sources (package folders are created)")
    Path output;

    @Option(names = "--package", paramLabel = "P", description = "the Java package (default: cnnc.generated)")
    String packageName = "cnnc.generated";

    @Mixin
    BuildOptions build;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (backend == Backend.opencl) {
            err.println("cnnc: error: the OpenCL backend is not available yet; use --backend java");
            return Main.USAGE;
        }
        if (!packageName.isEmpty() && !packageName.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
            err.println("cnnc: error: --package " + packageName + " is not a Java package name");
            return Main.USAGE;
        }
        CheckedModel model;
        try {
            model = Models.load(file, err);
        } catch (Models.Stop stop) {
            err.println("cnnc: error: " + stop.getMessage());
            return stop.exitCode;
        }
        JavaFile source = JavaBackend.source(model, packageName, build.backend());
        Path written = source.writeToPath(output);
        out.println("wrote " + written + " (" + Files.readAllLines(written).size() + " lines)");
        return Main.OK;
    }
}
