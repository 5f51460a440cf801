package dev.cnnc.cli;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.model.CheckedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compile", header = "Compile a .cnn file to Java (or OpenCL C and its Java host class).", description = "Compile a .cnn file to source code: a Java class implementing dev.cnnc.runtime.Network, or (--backend opencl) OpenCL kernels and their Java host class.")
final class CompileCommand extends ModelCommand {
    enum Backend { java, opencl }

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "where to write the sources (package folders are created)")
    Path output;

    @Option(names = "--package", paramLabel = "P", description = "the Java package (default: cnnc.generated)")
    String packageName = "cnnc.generated";

    @Mixin
    BuildOptions build;

    @Override
    void validate() throws Models.Stop {
        if (!packageName.isEmpty() && !packageName.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
            throw new Models.Stop(Main.USAGE, "--package " + packageName + " is not a Java package name");
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws IOException {
        if (build.backend == Backend.opencl) {
            OpenClBackend.Sources sources = OpenClBackend.sources(model, packageName, !build.noFuse);
            Path host = sources.host().writeToPath(output);
            Path kernels = host.resolveSibling(sources.kernelFileName());
            Files.writeString(kernels, sources.kernels());
            out.println("wrote " + kernels + " (" + sources.kernels().split("\n", -1).length + " lines of OpenCL C)");
            out.println("wrote " + host + " (" + Files.readAllLines(host).size() + " lines; runs on cnnc-runtime-opencl)");
            return Main.OK;
        }
        JavaFile source = JavaBackend.source(model, packageName, build.backend());
        Path written = source.writeToPath(output);
        out.println("wrote " + written + " (" + Files.readAllLines(written).size() + " lines)");
        return Main.OK;
    }
}
