package dev.cnnc.cli;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.report.MemoryEstimate;

/** Refuses a run whose estimated memory cannot fit in this JVM's heap, before anything is allocated. */
final class MemoryCheck {
    /** The share of the heap a run may plan for: the rest is the JVM's, the data set's and the compiler's. */
    static final double HEAP_SHARE = 0.85;

    private MemoryCheck() {
    }

    /**
     * Stops with the estimate, the heap and what would fix it. {@code batchFlag} is the flag that
     * sets the batch; {@code fromFlag} whether the batch came from it (else from the file).
     */
    static void require(CheckedModel model, int batch, int threads, String batchFlag, boolean fromFlag) throws Models.Stop {
        require(model, batch, threads, batchFlag, fromFlag, true, Runtime.getRuntime().maxMemory());
    }

    /**
     * What a run takes beyond the network's own arrays (the estimate): the kernels' per-thread
     * planes, the trainer's and the evaluation's buffers, the JIT's and the collector's room, as a
     * share of the estimate and a fixed part. Measured on the Fashion net (the small data set, 21.6
     * MiB in use once loaded; estimate 18.7 MiB at 2 threads), with these checks off and the serial
     * collector: it trains with -Xmx64m and runs out of memory with -Xmx56m, so it needs 34-42 MiB
     * beyond the data; 1.25 x the estimate + 20 MiB is 43.4.
     */
    static final double RUN_FACTOR = 1.25;
    static final long RUN_BASE = 20L << 20;

    /** The most a network's estimated arrays may take in a heap of {@code heap} bytes. */
    static long networkBudget(long heap) {
        return (long) (Math.max(0, heap * HEAP_SHARE - RUN_BASE) / RUN_FACTOR);
    }

    /** The same once the data set is in memory, before the network is built: what the run takes must fit in what is left. */
    static void requireAfterData(CheckedModel model, int batch, int threads, String batchFlag, boolean fromFlag) throws Models.Stop {
        Runtime rt = Runtime.getRuntime();
        MemoryEstimate e = MemoryEstimate.of(model, batch, threads, true);
        long need = (long) (e.totalBytes() * RUN_FACTOR) + RUN_BASE;
        long used = rt.totalMemory() - rt.freeMemory();
        if (need <= rt.maxMemory() - used) {
            return;
        }
        System.gc(); // what is in use may be garbage: measure again before refusing
        used = rt.totalMemory() - rt.freeMemory();
        long left = rt.maxMemory() - used;
        if (need <= left) {
            return;
        }
        int fits = MemoryEstimate.largestBatch(model, threads, true, (long) (Math.max(0, left - RUN_BASE) / RUN_FACTOR));
        throw new Models.Stop(Main.USAGE, String.format(java.util.Locale.ROOT, "training %s at %s needs about %s, but with the data set loaded "
                        + "(%s of the heap in use) this JVM's heap of %s has %s left%s, or give Java more memory (CNNC_JAVA_OPTS=-Xmx%dg)",
                model.name(), fromFlag ? batchFlag + " " + batch : "the file's batch " + batch, MemoryEstimate.human(need),
                MemoryEstimate.human(used), MemoryEstimate.human(rt.maxMemory()), MemoryEstimate.human(Math.max(0, left)),
                fits >= 1 ? "; a batch of at most " + fits + " fits (" + batchFlag + " " + fits + ")" : "",
                Math.max(1, (long) Math.ceil((used + need) / (double) (1L << 30)) + 1)));
    }

    static void require(CheckedModel model, int batch, int threads, String batchFlag, boolean fromFlag, boolean training, long heap)
            throws Models.Stop {
        MemoryEstimate e = MemoryEstimate.of(model, batch, threads, training);
        long budget = (long) (heap * HEAP_SHARE);
        boolean tooLong = e.largestElements() * (long) batch > Integer.MAX_VALUE;
        if (e.totalBytes() <= budget && !tooLong) {
            return;
        }
        String what = training ? "training" : "running";
        String layer = e.largest() == null ? "the input" : e.largest().name() + " (line " + e.largest().span().line() + ", "
                + e.largest().output() + " an example)";
        int fits = MemoryEstimate.largestBatch(model, threads, training, budget);
        String source = fromFlag ? batchFlag + " " + batch : "the file's batch " + batch;
        StringBuilder m = new StringBuilder();
        if (tooLong) {
            m.append(String.format(java.util.Locale.ROOT, "%s %s at %s needs an array of %,d values for %s, more than Java's 2^31-1 a "
                    + "single array holds", what, model.name(), source, e.largestElements() * (long) batch, layer));
        } else {
            m.append(String.format(java.util.Locale.ROOT, "%s %s at %s needs about %s (weights%s %s, layer outputs and scratch%s %s, convolution buffers %s), but "
                            + "this JVM's heap is %s", what, model.name(), source, MemoryEstimate.human(e.totalBytes()),
                    training ? ", gradients and optimizer state" : "", MemoryEstimate.human(e.parameterBytes()),
                    training ? " and gradients" : "", MemoryEstimate.human(e.activationBytes()), MemoryEstimate.human(e.bufferBytes()),
                    MemoryEstimate.human(heap)));
            m.append("; the largest layer is ").append(layer);
        }
        if (fits >= 1) {
            m.append("; a batch of at most ").append(fits).append(" fits (").append(batchFlag).append(' ').append(fits).append(")");
        } else {
            m.append("; not even one example fits: make ").append(e.largest() == null ? "the input" : "that layer").append(" smaller");
        }
        if (!tooLong) {
            m.append(", or give Java more memory (CNNC_JAVA_OPTS=-Xmx").append(Math.max(1, (long) Math.ceil(e.totalBytes() / HEAP_SHARE / (1L << 30)) + 1))
                    .append("g)");
        }
        throw new Models.Stop(Main.USAGE, m.toString());
    }
}
