package dev.cnnc.compiler.emit.opencl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the OpenCL emitter produced for one model: the program's source, the device buffers,
 * and the kernel launches of forward and backward in order. The host emitter turns the
 * launches into Java calls; keeping them as data keeps the two emitters independent.
 */
public final class ClPlan {
    /** A device buffer of {@code perExample * maxBatch + fixed} floats (or ints). */
    public record Buffer(String name, long perExample, long fixed, boolean ints) {
    }

    /**
     * One kernel run: over {@code perExample * n + fixed} work items in one dimension, in work
     * groups of the size the device prefers for it; or, given a {@code grid} (one to three
     * extents), over those extents in work groups the device's runtime chooses (kernels whose
     * items share nothing). Arguments are buffer names, "count", or "seed:i"/"threshold:i"
     * (dropout); {@code when} is null (always), "training", "inference", or "inputGradient".
     * {@code tiled}: a {@link ClGemm} product, whose work groups the host may fix (and round the
     * grid up to) when it builds the program with local-memory tiles. A {@code split} (or null):
     * the product is split into partial results; the host picks their count from the device, and
     * a later launch's argument "parts:KERNEL" or condition "split:KERNEL" reads it. A {@code when} may join conditions
     * with '&amp;'. A non-empty {@code group}: the kernel needs work groups of exactly that
     * shape (it shares local memory), and its grid counts groups, not items.
     */
    public record Launch(int op, String kernel, long perExample, long fixed, List<String> args, String when,
                         List<Extent> grid, boolean tiled, Split split, List<Integer> group) {
        public Launch {
            args = List.copyOf(args);
            grid = List.copyOf(grid);
            group = List.copyOf(group);
        }
    }

    /**
     * How a product splits: into at most {@code maxParts} partial results (its grid's third extent
     * bounds the count further), each a share of the batches it sums ({@code summed}) or of k.
     */
    public record Split(int maxParts, boolean summed) {
    }

    /** One dimension of a grid launch: ceil((perExample * n + fixed) / per) work items. */
    public record Extent(long perExample, long fixed, int per) {
        /** The batch size n: an item per example. */
        static final Extent BATCH = new Extent(1, 0, 1);

        public Extent {
            if (per < 1) {
                throw new IllegalArgumentException("per must be at least 1");
            }
        }

        /** A size that does not depend on the batch. */
        static Extent of(long size) {
            return new Extent(0, size, 1);
        }

        /** The expression of the size (not divided by per) in OpenCL C, n being the batch size. */
        String expression() {
            if (perExample == 0) {
                return Long.toString(fixed);
            }
            String scaled = perExample == 1 ? "n" : "n * " + perExample;
            return fixed == 0 ? scaled : "(" + scaled + " + " + fixed + ")";
        }
    }

    final StringBuilder source = new StringBuilder();
    final Map<String, Buffer> buffers = new LinkedHashMap<>();
    final List<Launch> forward = new ArrayList<>();
    final List<Launch> backward = new ArrayList<>();

    void buffer(String name, long perExample, long fixed, boolean ints) {
        buffers.putIfAbsent(name, new Buffer(name, perExample, fixed, ints));
    }

    public String source() {
        return source.toString();
    }

    public List<Buffer> buffers() {
        return List.copyOf(buffers.values());
    }

    public List<Launch> forward() {
        return List.copyOf(forward);
    }

    public List<Launch> backward() {
        return List.copyOf(backward);
    }
}
