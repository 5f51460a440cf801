package dev.cnnc.compiler.report;

import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.emit.java.JavaMemory;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Lowering;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.train.TrainConfig;
import dev.cnnc.runtime.kernels.VectorGemm;

/**
 * What training or running a model takes in memory, estimated from its shapes before anything is
 * allocated, so that a batch or a padding that cannot fit is refused with the figure instead of
 * failing later with OutOfMemoryError: the generated Java class's arrays as its layouts allocate
 * them ({@link JavaMemory}: parameters, in training their gradients, and the optimizer's state;
 * the pools activations, scratch and gradients share by liveness, the buffers of their own; the
 * Winograd convolutions' scratch). The data set is extra. A model the Java emitter cannot lay out
 * (an array past Java's limit) gets the upper estimate of every layer's output and gradient.
 */
public record MemoryEstimate(long parameterBytes, long activationBytes, long bufferBytes, CheckedNode.Layer largest,
                             long largestElements) {
    /** Bytes the products' convolution buffers take a thread in the upper estimate: the emitters' group budget, or one example's columns. */
    static final long GROUP_BYTES = 320 * 1024;

    public long totalBytes() {
        return JavaMemory.saturated(JavaMemory.saturated(parameterBytes, activationBytes), bufferBytes);
    }

    /** The estimate for {@code batch} examples a step and {@code threads} threads; {@code training} adds gradients and optimizer state. */
    public static MemoryEstimate of(CheckedModel model, int batch, int threads, boolean training) {
        return of(model, layout(model), batch, threads, training);
    }

    /** The generated class's layouts for the model (the default build: fused, Winograd, Vector API), or null when it has none. */
    private static JavaMemory layout(CheckedModel model) {
        try {
            KernelPlan plan = Lowering.lower(model, true);
            return JavaEmitter.memory(plan, new JavaEmitter.Options("cnnc.generated", true, JavaEmitter.GROUP_BYTES, true));
        } catch (RuntimeException e) {
            return null; // sizes past what the emitter lays out: the upper estimate below refuses such a model all the same
        }
    }

    private static MemoryEstimate of(CheckedModel model, JavaMemory layout, int batch, int threads, boolean training) {
        long params = model.totalParams();
        int optimizerSlots = 0;
        if (training && model.train() != null) {
            optimizerSlots = model.train().optimizer().kind() == TrainConfig.Optimizer.Kind.ADAM ? 2 : 1;
        }
        CheckedNode.Layer largest = null;
        long largestElements = model.input().elements();
        long columns = 0;
        for (CheckedNode.Layer l : model.layers()) {
            if (l.output().elements() > largestElements) {
                largestElements = l.output().elements();
                largest = l;
            }
            if (l.spec() instanceof Conv c && c.plain()) {
                long taps = l.input().channels() * (long) c.kernelHeight() * c.kernelWidth();
                columns = Math.max(columns, taps * l.output().height() * l.output().width());
            }
        }
        if (layout != null) {
            // the Vector API products' packing, the default build's (the plain-Java one pads nothing): the same on every
            // machine, and read without loading the Vector API (cnnc check runs without it)
            int rows = VectorGemm.MR;
            return new MemoryEstimate(JavaMemory.saturated(layout.parameterBytes(batch, training), 4L * params * optimizerSlots),
                    layout.bufferBytes(batch, threads, training, rows), layout.winogradBytes(batch, threads, training, rows), largest,
                    largestElements);
        }
        long parameterBytes = 4L * params * (training ? 2 + optimizerSlots : 1);
        double activationBytes = 4.0 * model.activationElements() * batch * (training ? 2 : 1);
        double bufferBytes = (double) threads * Math.max(GROUP_BYTES, 4.0 * columns) * (training ? 2 : 1);
        return new MemoryEstimate(parameterBytes, clamp(activationBytes), clamp(bufferBytes), largest, largestElements);
    }

    /** The largest batch whose estimate fits in {@code bytes}, or 0 when not even one example does. */
    public static int largestBatch(CheckedModel model, int threads, boolean training, long bytes) {
        JavaMemory layout = layout(model);
        int lo = 0;
        int hi = 1 << 30;
        while (lo < hi) {
            int mid = (int) (((long) lo + hi + 1) / 2);
            MemoryEstimate e = of(model, layout, mid, threads, training);
            if (e.totalBytes() <= bytes && e.largestElements() * (long) mid <= Integer.MAX_VALUE) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static long clamp(double bytes) {
        return bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) bytes;
    }

    /** Bytes in a unit a person reads at a glance: 412 KiB, 3.1 MiB, 27.4 GiB. */
    public static String human(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%,d KiB", (bytes + 1023) / 1024);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / 1073741824.0);
    }
}
