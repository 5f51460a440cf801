package dev.cnnc.compiler.report;

import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.train.TrainConfig;

/**
 * What training or running a model takes in memory, estimated from its shapes before anything is
 * allocated: weights, their gradients and the optimizer's state; every layer's output and its
 * gradient for a whole batch; and each thread's convolution buffers. It is an upper estimate of
 * the generated Java code's own arrays (the data set is extra), made so that a batch or a padding
 * that cannot fit is refused with the figure instead of failing later with OutOfMemoryError.
 */
public record MemoryEstimate(long parameterBytes, long activationBytes, long bufferBytes, CheckedNode.Layer largest,
                             long largestElements) {
    /** Bytes the products' convolution buffers take a thread: the emitters' group budget, or one example's columns. */
    static final long GROUP_BYTES = 320 * 1024;

    public long totalBytes() {
        return parameterBytes + activationBytes + bufferBytes;
    }

    /** The estimate for {@code batch} examples a step and {@code threads} threads; {@code training} adds gradients and optimizer state. */
    public static MemoryEstimate of(CheckedModel model, int batch, int threads, boolean training) {
        long params = model.totalParams();
        int optimizerSlots = 0;
        if (training && model.train() != null) {
            optimizerSlots = model.train().optimizer().kind() == TrainConfig.Optimizer.Kind.ADAM ? 2 : 1;
        }
        long parameterBytes = 4L * params * (training ? 2 + optimizerSlots : 1);
        // forward keeps each layer's output, training also each one's gradient (measured: the Fashion net's
        // generated class holds 28.8 MB at batch 64 where this estimates 29.6 MB of outputs and gradients)
        long perExample = model.activationElements();
        double activationBytes = 4.0 * perExample * batch * (training ? 2 : 1);
        long columns = 0;
        CheckedNode.Layer largest = null;
        long largestElements = model.input().elements();
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
        double bufferBytes = (double) threads * Math.max(GROUP_BYTES, 4.0 * columns) * (training ? 2 : 1);
        return new MemoryEstimate(parameterBytes, clamp(activationBytes), clamp(bufferBytes), largest, largestElements);
    }

    /** The largest batch whose estimate fits in {@code bytes}, or 0 when not even one example does. */
    public static int largestBatch(CheckedModel model, int threads, boolean training, long bytes) {
        int lo = 0;
        int hi = 1 << 30;
        while (lo < hi) {
            int mid = (int) (((long) lo + hi + 1) / 2);
            MemoryEstimate e = of(model, mid, threads, training);
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
