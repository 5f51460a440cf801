package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.emit.java.JavaMemory;
import dev.cnnc.compiler.lower.Lowering;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.report.MemoryEstimate;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.kernels.Gemm;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The memory estimate ({@link JavaMemory}, which {@code cnnc check} prints and which refuses a
 * batch that does not fit) is what the generated class holds: after an inference pass and after a
 * training step, the arrays reachable from the network's fields and its Winograd kernels' (each
 * array counted once, however many buffers share it) add up to the estimate for that batch and
 * thread count, but for the kernels' per-thread planes.
 */
class JavaMemoryTest {
    private static final String[] MODELS = {
        // a ResNet stem and block (Winograd convs, batchnorms, a residual), a stride-2 conv and a dense head
        "input 16x16x3\nconv 8 3x3 pad same; batchnorm; relu\nresidual {\n conv 8 3x3 pad same; batchnorm; relu\n conv 8 3x3 pad same; batchnorm\n}\n"
                + "relu\nconv 16 3x3 stride 2 pad 1; batchnorm; relu; maxpool 2\nflatten\ndropout 0.3\ndense 10",
        // a direct conv of one channel, a fused pool, a two-layer head
        "input 12x12x1\nconv 6 3x3 pad same; maxpool 2; relu\nconv 12 3x3 pad same; relu\nflatten\ndense 16; relu\ndense 4",
    };

    @ParameterizedTest(name = "model {0}")
    @ValueSource(ints = {0, 1})
    void theEstimateIsWhatTheGeneratedClassHolds(int which) throws Exception {
        CheckedModel model = RandomModels.check("M" + which, MODELS[which]);
        int n = 5;
        int threads = 2;
        JavaMemory memory = JavaEmitter.memory(Lowering.lower(model, true),
                new JavaEmitter.Options("cnnc.generated", true, JavaEmitter.GROUP_BYTES, true));
        try (Network net = JavaBackend.build(model, n, threads, JavaBackend.Options.DEFAULT)) {
            float[] x = new float[n * net.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(0.37 * i);
            }
            net.forward(x, n, false);
            int rows = Gemm.of(true).packedRows();
            long inference = memory.parameterBytes(n, false) + memory.bufferBytes(n, threads, false, rows)
                    + memory.winogradBytes(n, threads, false, rows);
            assertEquals(inference, held(net), "inference");
            net.forward(x, n, true);
            Arrays.fill(net.outputGradient(), 0.25f);
            net.backward(n);
            long training = memory.parameterBytes(n, true) + memory.bufferBytes(n, threads, true, rows) + memory.winogradBytes(n, threads, true, rows);
            assertEquals(training, held(net), "training");
            assertTrue(training > inference, training + " bytes in training, " + inference + " in inference");
            // the estimate the CLI reads is this one, with the optimizer's state (the models name none: no state)
            assertEquals(training, MemoryEstimate.of(model, n, threads, true).totalBytes());
        }
    }

    /** Bytes of the distinct arrays in the network's fields and its Winograd kernels' (one level down). */
    private static long held(Network net) throws IllegalAccessException {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Field f : net.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            f.setAccessible(true);
            Object value = f.get(net);
            if (value != null && value.getClass().getName().startsWith("dev.cnnc.runtime.kernels.Winograd")) {
                for (Field k : value.getClass().getDeclaredFields()) {
                    if (!Modifier.isStatic(k.getModifiers())) {
                        k.setAccessible(true);
                        bytes += arrays(k.get(value), seen);
                    }
                }
            } else {
                bytes += arrays(value, seen);
            }
        }
        return bytes;
    }

    private static long arrays(Object value, Set<Object> seen) {
        if (value == null || !seen.add(value)) {
            return 0;
        }
        if (value instanceof float[] a) {
            return 4L * a.length;
        }
        if (value instanceof int[] a) {
            return 4L * a.length;
        }
        if (value instanceof double[] a) {
            return 8L * a.length;
        }
        if (value instanceof float[][] a) {
            long sum = 0;
            for (float[] row : a) {
                sum += arrays(row, seen);
            }
            return sum;
        }
        return 0;
    }
}
