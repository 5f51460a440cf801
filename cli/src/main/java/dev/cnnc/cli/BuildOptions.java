package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import picocli.CommandLine.Option;

/** How generated code is built, shared by the commands that build a model. */
final class BuildOptions {
    enum Simd { vector, none }

    @Option(names = "--simd", paramLabel = "vector|none", description = "vector: products with the Vector API (default); none: plain Java")
    Simd simd = Simd.vector;

    @Option(names = "--no-fuse", description = "leave out the fusion passes (for comparison; the code stays correct)")
    boolean noFuse;

    @Option(names = "--threads", paramLabel = "N", description = "threads for the products (default: all cores)")
    Integer threads;

    JavaBackend.Options backend() {
        return new JavaBackend.Options(simd == Simd.vector, !noFuse);
    }

    int threads() {
        return threads == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, threads);
    }
}
