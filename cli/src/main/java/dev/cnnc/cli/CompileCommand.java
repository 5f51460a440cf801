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
        String problem = dev.cnnc.compiler.emit.JavaNames.packageProblem(packageName);
        if (problem != null) {
            throw new Models.Stop(Main.USAGE, "--package " + packageName + ": " + problem);
        }
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new Models.Stop(Main.USAGE, "-o " + output + " is a file; give the folder the sources go into (package folders are made in it)");
        }
        try {
            dev.cnnc.runtime.io.AtomicFiles.checkWritableFolder(output);
        } catch (IOException e) {
            throw new Models.Stop(Main.USAGE, dev.cnnc.runtime.io.IoMessages.cannot("write in", output, e));
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop {
        if (build.backend == Backend.opencl) {
            OpenClBackend.Sources sources = OpenClBackend.sources(model, packageName, !build.noFuse);
            Path host = write(sources.host());
            Path kernels = host.resolveSibling(sources.kernelFileName());
            write(kernels, sources.kernels());
            out.println("wrote " + kernels + " (" + sources.kernels().split("\n", -1).length + " lines of OpenCL C)");
            out.println("wrote " + host + " (" + lines(sources.host().toString()) + " lines; runs on cnnc-runtime-opencl)");
            return Main.OK;
        }
        JavaFile source = JavaBackend.source(model, packageName, build.backend());
        Path written = write(source);
        out.println("wrote " + written + " (" + lines(source.toString()) + " lines)");
        return Main.OK;
    }

    /** Writes a Java file where javac expects it (package folders under -o), atomically. */
    private Path write(JavaFile source) throws Models.Stop {
        Path dir = output;
        if (!source.packageName().isEmpty()) {
            for (String part : source.packageName().split("\\.")) {
                dir = dir.resolve(part);
            }
        }
        Path file = dir.resolve(source.typeSpec().name() + ".java");
        write(file, source.toString());
        return file;
    }

    private static void write(Path file, String text) throws Models.Stop {
        try {
            dev.cnnc.runtime.io.AtomicFiles.write(file, text);
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, dev.cnnc.runtime.io.IoMessages.cannot("write", file, e));
        }
    }

    private static long lines(String text) {
        return text.lines().count();
    }
}
