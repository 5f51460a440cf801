package dev.cnnc.compiler.emit.java;

import dev.cnnc.runtime.kernels.Gemm;
import dev.cnnc.runtime.kernels.Parallel;
import dev.cnnc.runtime.kernels.Winograd;
import java.util.List;

/**
 * What the generated class allocates, read from the emitter's own layouts: its parameters, state
 * and output; its buffers' pools in the inference layout, or the training layout with the
 * gradients' pools; the buffers of their own; and the Winograd convolutions' shared scratch (and,
 * while a network only infers, each one's packed weights). Sizes are the generated code's size
 * expressions evaluated for a batch, a thread count and the products' packing (the rows of a
 * packed tile, {@link Gemm#packedRows}: the Vector API's pads a packed matrix to whole tiles), so an
 * estimate follows the layouts as they change. The optimizer's state and the data set are the caller's to add; the small buffers of
 * the other kernels (a direct or grouped conv's planes) are not counted.
 */
public record JavaMemory(long parameters, long state, long inputPerExample, long outputPerExample, List<BufferLayouts.Pool> inferencePools,
                         List<BufferLayouts.Pool> trainingPools, List<BufferLayouts.Pool> gradientPools, List<String[]> own,
                         List<String[]> ownGradients, List<WinogradConv> winogradConvs) {
    public JavaMemory {
        inferencePools = List.copyOf(inferencePools);
        trainingPools = List.copyOf(trainingPools);
        gradientPools = List.copyOf(gradientPools);
        own = List.copyOf(own);
        ownGradients = List.copyOf(ownGradients);
        winogradConvs = List.copyOf(winogradConvs);
    }

    /** A Winograd conv's shapes, as its kernel is built with them. */
    public record WinogradConv(int channels, int filters, int h, int w, int ph, int pw, int groupExamples) {
    }

    /** Bytes of the generated class's parameters and, in training, their gradients and the input's; its state and outputs. */
    public long parameterBytes(int batch, boolean training) {
        long perExample = 2 * outputPerExample + (training ? inputPerExample : 0);
        return times(4, saturated(parameters * (training ? 2 : 1) + state, times(batch, perExample)));
    }

    /** Bytes of the activations, scratch and (training) gradient buffers: the layout's pools and the buffers of their own. */
    public long bufferBytes(int batch, int threads, boolean training, int packedRows) {
        long bytes = bytes(training ? trainingPools : inferencePools, own, batch, threads, packedRows);
        return training ? saturated(bytes, bytes(gradientPools, ownGradients, batch, threads, packedRows)) : bytes;
    }

    /** Bytes of {@code pools} (each as large as its largest buffer) and of {@code buffers} (type, size) of their own. */
    private static long bytes(List<BufferLayouts.Pool> pools, List<String[]> buffers, int batch, int threads, int packedRows) {
        long bytes = 0;
        for (BufferLayouts.Pool pool : pools) {
            bytes = saturated(bytes, poolBytes(pool, batch, threads, packedRows));
        }
        for (String[] buffer : buffers) {
            bytes = saturated(bytes, times(elementBytes(buffer[0]), floats(buffer[1], batch, threads, packedRows)));
        }
        return bytes;
    }

    /**
     * Bytes of the Winograd convolutions' shared scratch (transformed tiles, the weights' transform,
     * in training the weight gradient's per-slot parts and the packing) and, for a network that only
     * infers, each conv's own packed weights and the copy they are checked against.
     */
    public long winogradBytes(int batch, int threads, boolean training, int packedRows) {
        if (winogradConvs.isEmpty()) {
            return 0;
        }
        long v = 0;
        long m = 0;
        long u = 0;
        long dw = 0;
        long packed = 0;
        long own = 0;
        long transforms = (long) Winograd.TRANSFORM_FLOATS * winogradConvs.size();
        for (WinogradConv c : winogradConvs) {
            long fc = (long) c.filters() * c.channels();
            v = Math.max(v, Winograd.tileFloats(packedRows, c.channels(), c.h(), c.w(), c.ph(), c.pw(), c.groupExamples(), threads));
            m = Math.max(m, Winograd.tileFloats(packedRows, c.filters(), c.h(), c.w(), c.ph(), c.pw(), c.groupExamples(), threads));
            u = Math.max(u, Winograd.POINTS * fc);
            // the slots a backward pass adds into (Parallel.slotsOf for its groups)
            long slots = Math.max(1, Math.min((batch + c.groupExamples() - 1) / c.groupExamples(), Parallel.slots(threads)));
            dw = Math.max(dw, slots * Winograd.POINTS * fc);
            packed = Math.max(packed, Math.max(packedSize(c.filters(), c.channels(), packedRows), packedSize(c.channels(), c.filters(), packedRows)));
            own += Winograd.POINTS * packedSize(c.filters(), c.channels(), packedRows) + 9 * fc;
        }
        long floats = transforms + v + m + u + (training ? dw + Winograd.POINTS * packed : own);
        return 4 * floats;
    }

    /** {@link Gemm#packedSize} of an m x k matrix in tiles of {@code packedRows} rows. */
    private static long packedSize(int m, int k, int packedRows) {
        return (long) ((m + packedRows - 1) / packedRows * packedRows) * k;
    }

    private static long poolBytes(BufferLayouts.Pool pool, int batch, int threads, int packedRows) {
        long most = 0;
        for (String size : pool.sizes()) {
            most = Math.max(most, floats(size, batch, threads, packedRows));
        }
        return times(elementBytes(pool.type()), most);
    }

    /** a + b, or Long.MAX_VALUE past it (a batch of two billion asked of the estimate). */
    public static long saturated(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static long times(long a, long b) {
        return Math.multiplyHigh(a, b) == 0 && a * b >= 0 ? a * b : Long.MAX_VALUE;
    }

    private static long elementBytes(String type) {
        return switch (type) {
            case "double[]" -> 8;
            case "int[]", "float[]" -> 4;
            default -> throw new IllegalArgumentException("a buffer of type " + type);
        };
    }

    /**
     * The value of a size expression of the generated code: a product of integers, maxBatch,
     * threads, Parallel.slots(threads) and gemm.packedSize(a, b).
     */
    static long floats(String size, int batch, int threads, int packedRows) {
        long product = 1;
        for (String factor : size.split("\\*(?![^(]*\\))")) {
            String f = factor.trim();
            long value;
            if (f.equals("maxBatch")) {
                value = batch;
            } else if (f.equals("threads")) {
                value = threads;
            } else if (f.equals("Parallel.slots(threads)")) {
                value = Parallel.slots(threads);
            } else if (f.startsWith("gemm.packedSize(") && f.endsWith(")")) {
                String[] ab = f.substring("gemm.packedSize(".length(), f.length() - 1).split(",");
                value = packedSize(Integer.parseInt(ab[0].trim()), Integer.parseInt(ab[1].trim()), packedRows);
            } else if (f.matches("[0-9]+")) {
                value = Long.parseLong(f);
            } else {
                throw new IllegalArgumentException("a size expression the estimate does not read: " + size);
            }
            product = times(product, value);
        }
        return product;
    }
}
