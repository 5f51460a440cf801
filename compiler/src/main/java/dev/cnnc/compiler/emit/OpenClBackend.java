package dev.cnnc.compiler.emit;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.emit.opencl.ClEmitter;
import dev.cnnc.compiler.emit.opencl.ClHostEmitter;
import dev.cnnc.compiler.emit.opencl.ClPlan;
import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Lowering;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import java.lang.reflect.InvocationTargetException;
import java.util.List;

/** A checked model to OpenCL: lower (the same passes as Java), emit the kernels and their Java host class. */
public final class OpenClBackend {
    /** The two files of a model: {@code Name.cl} and the host class {@code NameOpenCl}. */
    public record Sources(String kernelFileName, String kernels, JavaFile host) {
    }

    private OpenClBackend() {
    }

    public static Sources sources(CheckedModel model, String packageName, boolean fuse) {
        KernelPlan plan = Lowering.lower(model, fuse);
        ClPlan cl = ClEmitter.emit(plan);
        return new Sources(model.name() + ".cl", cl.source(), ClHostEmitter.emit(plan, cl, packageName));
    }

    /** Compiles the host class in memory and opens it on device {@code device}; needs cnnc-runtime-opencl on the class path. */
    public static Network build(CheckedModel model, int maxBatch, int device, boolean fuse) throws InMemoryJavac.Failure, Exception {
        Sources s = sources(model, "cnnc.generated.opencl", fuse);
        Class<?> type = InMemoryJavac.compile(List.of(s.host())).get("cnnc.generated.opencl." + ClHostEmitter.className(model.name()));
        return instantiate(type, maxBatch, device);
    }

    /** Constructs a compiled host class; device and build errors come out as they are (they are for the user). */
    public static Network instantiate(Class<?> type, int maxBatch, int device) throws Exception {
        try {
            return (Network) type.getConstructor(int.class, int.class).newInstance(maxBatch, device);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : new IllegalStateException(e.getCause());
        }
    }
}
