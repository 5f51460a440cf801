package dev.cnnc.compiler.emit;

import com.palantir.javapoet.JavaFile;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Lowering;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import java.lang.reflect.InvocationTargetException;
import java.util.List;

/** A checked model to a running {@link Network}: lower, emit Java, compile in memory, instantiate. */
public final class JavaBackend {
    /**
     * How to build: products with the Vector API or plain Java; the optimisation passes or none;
     * the cache budget of a convolution's group of examples (tests make it tiny, so that every
     * batch splits into many groups); Winograd's F(2x2, 3x3) for the convolutions it suits, or
     * direct (im2col and a product) everywhere.
     */
    public record Options(boolean vector, boolean fuse, int groupBytes, boolean winograd) {
        public static final Options DEFAULT = new Options(true, true);

        public Options(boolean vector, boolean fuse) {
            this(vector, fuse, JavaEmitter.GROUP_BYTES, true);
        }

        public Options(boolean vector, boolean fuse, int groupBytes) {
            this(vector, fuse, groupBytes, true);
        }
    }

    private JavaBackend() {
    }

    public static JavaFile source(CheckedModel model, String packageName, Options options) {
        KernelPlan plan = Lowering.lower(model, options.fuse());
        return JavaEmitter.emit(plan, new JavaEmitter.Options(packageName, options.vector(), options.groupBytes(), options.winograd()));
    }

    public static Network build(CheckedModel model, int maxBatch, int threads, Options options) throws InMemoryJavac.Failure {
        JavaFile file = source(model, "cnnc.generated", options);
        Class<?> type = InMemoryJavac.compile(List.of(file)).get("cnnc.generated." + model.name());
        return instantiate(type, maxBatch, threads);
    }

    public static Network instantiate(Class<?> type, int maxBatch, int threads) {
        try {
            return (Network) type.getConstructor(int.class, int.class).newInstance(maxBatch, threads);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("generated class " + type.getName() + " has no (int, int) constructor", e);
        }
    }
}
