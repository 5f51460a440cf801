package dev.cnnc.cli;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compile", description = "Compile a .cnn file to source code: one Java class implementing dev.cnnc.runtime.Network.")
final class CompileCommand extends ModelCommand {
    enum Backend { java, opencl }

    @Option(names = "--backend", paramLabel = "java", description = "what to generate (default: java)")
    Backend backend = Backend.java;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "where to write the sources (package folders are created)")
    Path output;

    @Option(names = "--package", paramLabel = "P", description = "the Java package (default: cnnc.generated)")
    String packageName = "cnnc.generated";

    @Mixin
    BuildOptions build;

    @Override
    void validate() throws Models.Stop {
        if (backend == Backend.opencl) {
            throw new Models.Stop(Main.USAGE, "the OpenCL backend is not available yet; use --backend java");
        }
        if (!packageName.isEmpty() && !packageName.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
            throw new Models.Stop(Main.USAGE, "--package " + packageName + " is not a Java package name");
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws IOException {
        JavaFile source = JavaBackend.source(model, packageName, build.backend());
        Path written = source.writeToPath(output);
        out.println("wrote " + written + " (" + Files.readAllLines(written).size() + " lines)");
        return Main.OK;
    }
}
