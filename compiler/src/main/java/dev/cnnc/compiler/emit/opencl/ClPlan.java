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
     * One kernel run over {@code perExample * n + fixed} work items in dimension 0 and, for a
     * two-dimensional run ({@code rows > 0}), {@code rows} (times ceil(n / rowBlock) when
     * rowBlock > 0) in dimension 1. Work groups lie along dimension 0, so what a kernel indexes
     * by dimension 1 is the same for a whole group (loaded once, broadcast to the SIMD lanes).
     * Arguments are buffer names, "count", or "seed:i"/"threshold:i" (dropout); {@code when} is
     * null (always), "training", "inference", or "inputGradient".
     */
    public record Launch(int op, String kernel, long perExample, long fixed, int rowBlock, long rows, List<String> args, String when) {
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
