package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.opencl.OpenClContext;
import dev.cnnc.runtime.opencl.OpenClDevices;
import picocli.CommandLine.Option;

/** How generated code is built and where it runs, shared by the commands that build a model. */
final class BuildOptions {
    enum Simd { vector, none }

    @Option(names = "--backend", paramLabel = "java|opencl", description = "java (default) or opencl (see cnnc devices)")
    CompileCommand.Backend backend = CompileCommand.Backend.java;

    @Option(names = "--device", converter = FlagValues.Natural.class, paramLabel = "N", description = "the OpenCL device, numbered as cnnc devices lists them (default: 0)")
    int device;

    @Option(names = "--simd", paramLabel = "vector|none", description = "vector: products with the Vector API (default); none: plain Java")
    Simd simd = Simd.vector;

    @Option(names = "--no-fuse", description = "leave out the fusion passes (for comparison; the code stays correct)")
    boolean noFuse;

    @Option(names = "--no-winograd", description = "direct convolutions only (default: Winograd F(2x2,3x3) for 3x3 stride-1 convs of 8 or more channels)")
    boolean noWinograd;

    @Option(names = "--threads", converter = FlagValues.Threads.class, paramLabel = "N", description = "threads for the products: 1 to 4 a core, at least 256 (default: all cores)")
    Integer threads;

    JavaBackend.Options backend() {
        return new JavaBackend.Options(simd == Simd.vector, !noFuse, JavaEmitter.GROUP_BYTES, !noWinograd);
    }

    int threads() {
        return threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    }

    /** The model, compiled for the chosen backend and ready to run batches of up to {@code maxBatch}. */
    Network build(CheckedModel model, int maxBatch) throws Models.Stop, InMemoryJavac.Failure {
        return build(model, maxBatch, backend, device, threads(), backend());
    }

    static Network build(CheckedModel model, int maxBatch, CompileCommand.Backend backend, int device, int threads,
                         JavaBackend.Options options) throws Models.Stop, InMemoryJavac.Failure {
        if (backend == CompileCommand.Backend.java) {
            return JavaBackend.build(model, maxBatch, threads, options);
        }
        try {
            return OpenClBackend.build(model, maxBatch, device, options.fuse());
        } catch (OpenClDevices.Unavailable e) {
            throw new Models.Stop(Main.USAGE, e.getMessage());
        } catch (OpenClContext.DeviceMemoryError e) {
            throw new Models.Stop(Main.USAGE, e.getMessage());
        } catch (InMemoryJavac.Failure | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // A kernel that does not build is a cnnc bug; the message carries the device's build log.
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
