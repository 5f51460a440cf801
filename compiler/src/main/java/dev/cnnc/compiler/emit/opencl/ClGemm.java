package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Activation;
import java.util.List;

/**
 * One matrix product as an OpenCL kernel: C = act(bias + A x B), M x N from a reduction over K,
 * for each of {@code batches} products (or, with {@code sumBatches}, one C summed over them).
 * A sum over batches is split: S items per tile each sum every S-th batch into a partial C of
 * their own (a weight gradient has few tiles, so one item per tile would leave most of a device
 * idle and stream every batch through one core), and a second kernel adds the partials up into C.
 * A single product with a long fixed K (a dense layer, few tiles at any batch) may likewise be
 * split along K, the second kernel then applying bias and activation. S is the host's choice at
 * each launch, from the device's compute units, up to {@link #maxParts()}.
 * Every convolution and dense layer is such products (after an im2col or a transpose), so the
 * register tiling is written once, here.
 *
 * <p>A work item owns a tile of {@link #ROWS} rows by {@link #COLS} columns of C, held as
 * COLS / VW of the device's preferred vectors per row: each step of k loads one row of B's tile
 * (contiguous: B's columns must be adjacent) and broadcasts ROWS values of A, which every item
 * of a group that shares the rows reads alike. Items share nothing, so there are no barriers and
 * the runtime may choose any work-group size: PoCL runs each item's vectors as AVX code, a GPU
 * runs the items as threads. Rows and columns past the edges are clamped on reading (A) or
 * read as zeros (B), and never stored.
 *
 * @param a A(m, k) at a.offset + m * a.rowStride + k * a.colStride + batch * a.batchStride
 * @param b B(k, j) at b.offset + k * b.rowStride + j + batch * b.batchStride
 * @param c C(m, j) at c.offset + m * c.rowStride + j * c.colStride + batch * c.batchStride
 * @param bias where in P the bias of row m is (P[bias + m]), or null
 */
record ClGemm(String name, ClPlan.Extent m, ClPlan.Extent n, ClPlan.Extent k, ClPlan.Extent batches, boolean sumBatches,
              Operand a, Operand b, Operand c, String bias, Activation activation) {
    static final int ROWS = 8;
    static final int COLS = 16;
    /*
     * Unrolled loops over the register tile keep the accumulators and B's row in registers: PoCL
     * (LLVM) otherwise keeps arrays indexed by loop counters in memory. Measured on PoCL (batch 64,
     * conv2 forward, 64 x 196 x 288 per example): 21 GFLOP/s without the pragmas, 27 with the tile
     * loops unrolled, 46-50 with k unrolled by 4 as well.
     */
    private static final String UNROLL = "#pragma unroll\n";
    // Only where items hold vectors (VW >= 4): at widths 1 and 2 the unrolled body has 256-512
    // scalar operations, and PoCL took twice as long to compile a program for no measured gain.
    private static final String K_UNROLL = "#if VW >= 4\n#pragma unroll 4\n#endif\n";
    /**
     * Full unrolling of every loop over the accumulators on GPUs (CNNC_LOCAL_TILES), whatever the
     * product's size: a loop left rolled indexes acc[r][v] by a variable, which puts the whole
     * array in per-item stack memory (clang for NVPTX: 608 bytes of .local an item, hundreds of
     * ld.local/st.local a kernel) instead of registers. CPUs (PoCL) keep their faster compiles.
     */
    private static final String GPU_UNROLL = "#ifdef CNNC_LOCAL_TILES\n#pragma unroll\n#endif\n";
    /**
     * Unrolling costs compile time (PoCL: a program took ~1.7x as long to build) and pays only
     * where a product is big enough for its speed to show, so products smaller than this many
     * multiply-adds (one of the batch, n taken as 64 where a size depends on it) go without.
     */
    private static final long UNROLL_WORK = 1 << 16;

    private long work() {
        return typical(m) * typical(n) * typical(k);
    }

    private static long typical(ClPlan.Extent e) {
        return e.perExample() * 64 + e.fixed();
    }

    /** Steps of k staged in local memory at a time, where the host turns local tiles on. */
    static final int LOCAL_K = 16;

    /** A matrix in a buffer; strides are OpenCL C expressions (literals, or in terms of n). */
    record Operand(String buffer, long offset, String rowStride, String colStride, String batchStride) {
    }

    /** Floats the partial sums of a split product may take at a typical batch (16 MiB). */
    static final long PARTIAL_FLOATS = 1L << 22;
    /** The most partial C's a product is split into; the host uses as many as the device needs (see {@link #maxParts()}). */
    static final int MAX_PARTS = 64;
    /** Steps of k a part of a split-K product takes at least. */
    static final int MIN_PART_K = 4 * LOCAL_K;

    /**
     * How many partial C's this product's buffer holds, 0 when it does not split. A sum over
     * batches always goes through partials; a single product with a long fixed K (a dense
     * layer: few tiles at any batch) may be split along K. The host picks how many of these a
     * launch uses from the device's compute units (1 for a split-K product: no partials at all).
     */
    int maxParts() {
        long size = typical(m) * typical(n);
        int byMemory = (int) Math.max(1, Math.min(MAX_PARTS, PARTIAL_FLOATS / Math.max(1, size)));
        if (sumBatches) {
            return byMemory;
        }
        boolean single = batches.perExample() == 0 && batches.fixed() == 1;
        if (!single || k.perExample() != 0 || k.fixed() < 2 * MIN_PART_K || (m.perExample() != 0 && n.perExample() != 0)) {
            return 0;
        }
        return (int) Math.min(byMemory, (k.fixed() + MIN_PART_K - 1) / MIN_PART_K);
    }

    private boolean splitK() {
        return !sumBatches && maxParts() > 0;
    }

    private String partialBuffer() {
        return name.toUpperCase(java.util.Locale.ROOT) + "_PARTS";
    }

    /** Appends the kernel(s) to the program and returns the product's launch arguments (buffer names, in order). */
    String[] emit(ClEmitContext ctx) {
        if (sumBatches && (m.perExample() != 0 || n.perExample() != 0 || bias != null || activation != null)) {
            throw new IllegalArgumentException("a product summed over batches has a fixed size, and no bias or activation");
        }
        if (!b.colStride().equals("1")) {
            throw new IllegalArgumentException("B's columns must be adjacent");
        }
        boolean splitK = splitK();
        String bLd = b.rowStride();
        boolean large = work() >= UNROLL_WORK;
        String unroll = large ? UNROLL : GPU_UNROLL, kUnroll = large ? K_UNROLL : "";
        StringBuilder s = ctx.src;
        s.append("// ").append(name).append(": C[").append(m.expression()).append(" x ").append(n.expression()).append("] = ")
                .append(bias == null ? "" : "bias + ").append("A x B over k < ").append(k.expression())
                .append(sumBatches ? ", summed over " : ", for each of ").append(batches.expression()).append(" batches")
                .append(sumBatches ? "; part z sums every get_global_size(2)-th batch" : "")
                .append(splitK ? "; with get_global_size(2) > 1, part z sums its share of k into PARTS" : "").append("\n");
        s.append("__kernel void ").append(name).append("(__global const float* A, __global const float* B, __global float* C")
                .append(splitK ? ", __global float* PARTS" : "")
                .append(bias == null ? "" : ", __global const float* P").append(", const int n) {\n")
                .append("    const int j0 = get_global_id(0) * ").append(COLS).append(", i0 = get_global_id(1) * ").append(ROWS)
                .append(", z = get_global_id(2);\n")
                .append("    const int M = ").append(m.expression()).append(", N = ").append(n.expression())
                .append(", K = ").append(k.expression()).append(";\n")
                .append(splitK
                        ? "    const int parts = get_global_size(2), kc = ((K + parts - 1) / parts + " + (LOCAL_K - 1) + ") / " + LOCAL_K + " * " + LOCAL_K
                                + ";\n    const int k0 = min(K, z * kc), k1 = min(K, k0 + kc);\n"
                        : "    const int k0 = 0, k1 = K;\n")
                .append("#ifdef CNNC_LOCAL_TILES\n")
                // two buffers (one filled while the other is read); rows and columns padded by one
                // float per item so that the items of a warp read distinct banks
                .append("    __local float la[2 * ").append(LOCAL_K).append(" * TGY * ").append(ROWS + 1).append("], lb[2 * ")
                .append(LOCAL_K).append(" * TGX * ").append(COLS + 1).append("];\n")
                .append("#else\n")
                .append("    if (i0 >= M || j0 >= N) return;\n")
                .append("#endif\n")
                .append("    int ar[").append(ROWS).append("]; // A's rows, the last repeated past M\n")
                .append(GPU_UNROLL)
                .append("    for (int r = 0; r < ").append(ROWS).append("; r++) ar[r] = min(i0 + r, M - 1) * ").append(a.rowStride()).append(";\n")
                .append("    floatv acc[").append(ROWS).append("][").append(COLS).append(" / VW];\n")
                .append(GPU_UNROLL)
                .append("    for (int r = 0; r < ").append(ROWS).append("; r++)\n")
                .append(GPU_UNROLL)
                .append("    for (int v = 0; v < ").append(COLS).append(" / VW; v++) acc[r][v] = (floatv) (0.0f);\n")
                .append(sumBatches ? "    for (int bt = z; bt < " + batches.expression() + "; bt += get_global_size(2)) {\n"
                        : splitK ? "    { const int bt = 0;\n" : "    { const int bt = z;\n")
                .append("        const __global float* ab = A + ").append(a.offset()).append(" + bt * ").append(a.batchStride()).append(";\n")
                .append("        const __global float* bb = B + ").append(b.offset()).append(" + bt * ").append(b.batchStride()).append(" + j0;\n")
                .append(localSteps(a, bLd))
                .append("        if (j0 + ").append(COLS).append(" <= N) {\n")
                .append(kUnroll)
                .append("            for (int p = k0; p < k1; p++) {\n")
                .append("                floatv bv[").append(COLS).append(" / VW];\n")
                .append(unroll)
                .append("                for (int v = 0; v < ").append(COLS).append(" / VW; v++) bv[v] = vloadv(v, bb + p * ").append(bLd).append(");\n")
                .append(step(aFromGlobal(a), unroll))
                .append("            }\n")
                .append("        } else { // the last columns: B read as zeros past N\n")
                .append("            for (int p = k0; p < k1; p++) {\n")
                .append("                float row[").append(COLS).append("];\n")
                .append(GPU_UNROLL)
                .append("                for (int x = 0; x < ").append(COLS).append("; x++) row[x] = j0 + x < N ? bb[p * ").append(bLd).append(" + x] : 0.0f;\n")
                .append("                floatv bv[").append(COLS).append(" / VW];\n")
                .append(GPU_UNROLL)
                .append("                for (int v = 0; v < ").append(COLS).append(" / VW; v++) bv[v] = vloadv(v, row);\n")
                .append(step(aFromGlobal(a), GPU_UNROLL))
                .append("            }\n")
                .append("        }\n")
                .append("#endif\n")
                .append("    }\n");
        if (sumBatches) {
            s.append(store("C + z * " + m.fixed() * n.fixed(), Long.toString(n.fixed()), "1", false));
        } else {
            if (splitK) {
                s.append("    if (parts > 1) {\n")
                        .append(store("PARTS + z * (M * N)", "N", "1", false))
                        .append("        return;\n")
                        .append("    }\n");
            }
            s.append(store("C + " + c.offset() + " + z * " + c.batchStride(), c.rowStride(), c.colStride(), true));
        }
        s.append("}\n\n");
        if (sumBatches) {
            long size = m.fixed() * n.fixed();
            ctx.out.buffer(partialBuffer(), 0, maxParts() * size, false);
            ctx.kernel(name + "_sum", "__global const float* parts, __global float* C, const int S", 0, size,
                    "    float s = 0.0f;\n"
                            + "    for (int z = 0; z < S; z++) s += parts[z * " + size + " + gid];\n"
                            + "    C[" + c.offset() + " + gid / " + n.fixed() + " * " + c.rowStride() + " + gid % " + n.fixed() + " * " + c.colStride()
                            + "] = s;\n");
        } else if (splitK) {
            long perExample = m.perExample() * n.fixed() + n.perExample() * m.fixed(), fixed = m.fixed() * n.fixed();
            ctx.out.buffer(partialBuffer(), maxParts() * perExample, maxParts() * fixed, false);
            ctx.kernel(name + "_sum", "__global const float* parts, __global float* C" + (bias == null ? "" : ", __global const float* P")
                            + ", const int S", perExample, fixed,
                    "    const int M = " + m.expression() + ", N = " + n.expression() + ", i = gid / N, j = gid % N;\n"
                            + "    float t = " + (bias == null ? "0.0f" : "P[" + bias + " + i]") + ";\n"
                            + "    for (int z = 0; z < S; z++) t += parts[z * (M * N) + gid];\n"
                            + "    C[" + c.offset() + " + i * " + c.rowStride() + " + j * " + c.colStride() + "] = "
                            + ClActivation.apply(activation, "t") + ";\n");
        }
        String cArg = sumBatches ? partialBuffer() : c.buffer();
        List<String> args = new java.util.ArrayList<>(List.of(a.buffer(), b.buffer(), cArg));
        if (splitK) {
            args.add(partialBuffer());
        }
        if (bias != null) {
            args.add("P");
        }
        return args.toArray(String[]::new);
    }

    /**
     * Stores the register tile at {@code base} + row * rowStride + column * colStride, bias and
     * activation applied where {@code finished}. Fixed counts with the bounds as ifs inside:
     * loops that exit early are not unrolled (finding 1 of the GPU review).
     */
    private String store(String base, String rowStride, String colStride, boolean finished) {
        return "    {\n"
                + "    __global float* cb = " + base + ";\n"
                + GPU_UNROLL
                + "    for (int r = 0; r < " + ROWS + "; r++) {\n"
                + "        if (i0 + r < M) {\n"
                + GPU_UNROLL
                + "        for (int x = 0; x < " + COLS + "; x++) {\n"
                + "          if (j0 + x < N) {\n"
                + "            const float t = " + (finished && bias != null ? "P[" + bias + " + i0 + r] + " : "") + "((const float*) &acc[r][x / VW])[x % VW];\n"
                + "            cb[(i0 + r) * " + rowStride + " + (j0 + x) * " + colStride + "] = " + (finished ? ClActivation.apply(activation, "t") : "t") + ";\n"
                + "          }\n"
                + "        }\n"
                + "        }\n"
                + "    }\n"
                + "    }\n";
    }

    /**
     * With {@code -DCNNC_LOCAL_TILES -DTGX=.. -DTGY=..} (the host's choice on devices with
     * dedicated local memory, GPUs): the work group stages the A rows and B columns its tiles
     * need in local memory, LOCAL_K steps of k at a time, so each value is read from global
     * memory once per group instead of once per item. TGX x TGY is the largest group; the host
     * launches each product with a group of up to that many items (get_local_size), fitted to
     * its rows and columns. Two buffers: the next chunk is loaded into one while the other is
     * read, one barrier a chunk. A is stored k-major with each item's ROWS rows padded to
     * ROWS + 1 floats and B with each item's COLS columns padded to COLS + 1, so the items of a
     * warp that read different rows or columns hit different banks. Items past M or N take part
     * (the barriers need every item) and store nothing. Opens an #ifdef that the register path
     * after it closes.
     */
    private static String localSteps(Operand a, String bLd) {
        int kc = LOCAL_K;
        String rowsG = "(gy * " + ROWS + ")", colsG = "(gx * " + COLS + ")";
        String aHalf = kc + " * TGY * " + (ROWS + 1), bHalf = kc + " * TGX * " + (COLS + 1);
        return "#ifdef CNNC_LOCAL_TILES\n"
                + "        const int gx = get_local_size(0), gy = get_local_size(1), items = gx * gy;\n"
                + "        const int ly = get_local_id(1), lx = get_local_id(0), li = ly * gx + lx;\n"
                + "        const int bi = get_group_id(1) * " + rowsG + ", bj = get_group_id(0) * " + colsG + ";\n"
                + "        const __global float* bg = bb - j0 + bj;\n"
                // chunk c of k (from p0) into buffer h: A's row r at [h][q][r / ROWS * (ROWS + 1) + r % ROWS], B's column x likewise
                + "        #define CNNC_STAGE(p0, h) { \\\n"
                + "            for (int e = li; e < " + rowsG + " * " + kc + "; e += items) { \\\n"
                + "                const int r = e / " + kc + ", q = e % " + kc + "; \\\n"
                + "                la[(h) * " + aHalf + " + q * (TGY * " + (ROWS + 1) + ") + r / " + ROWS + " * " + (ROWS + 1) + " + r % " + ROWS + "] = \\\n"
                + "                    (p0) + q < k1 ? ab[min(bi + r, M - 1) * " + a.rowStride() + " + ((p0) + q) * " + a.colStride() + "] : 0.0f; \\\n"
                + "            } \\\n"
                + "            for (int e = li; e < " + colsG + " * " + kc + "; e += items) { \\\n"
                + "                const int q = e / " + colsG + ", x = e % " + colsG + "; \\\n"
                + "                lb[(h) * " + bHalf + " + q * (TGX * " + (COLS + 1) + ") + x / " + COLS + " * " + (COLS + 1) + " + x % " + COLS + "] = \\\n"
                + "                    (p0) + q < k1 && bj + x < N ? bg[((p0) + q) * " + bLd + " + x] : 0.0f; \\\n"
                + "            } }\n"
                + "        CNNC_STAGE(k0, 0)\n"
                + "        barrier(CLK_LOCAL_MEM_FENCE);\n"
                + "        for (int p0 = k0, h = 0; p0 < k1; p0 += " + kc + ", h ^= 1) {\n"
                + "            if (p0 + " + kc + " < k1) CNNC_STAGE(p0 + " + kc + ", h ^ 1)\n"
                + "            const __local float* lah = la + h * " + aHalf + " + ly * " + (ROWS + 1) + ";\n"
                + "            const __local float* lbh = lb + h * " + bHalf + " + lx * " + (COLS + 1) + ";\n"
                + "            for (int q = 0; q < " + kc + "; q++) {\n"
                + "                floatv bv[" + COLS + " / VW];\n"
                + UNROLL
                + "                for (int v = 0; v < " + COLS + " / VW; v++) bv[v] = vloadv(v, lbh + q * (TGX * " + (COLS + 1) + "));\n"
                + step("lah[q * (TGY * " + (ROWS + 1) + ") + r]", UNROLL)
                + "            }\n"
                + "            barrier(CLK_LOCAL_MEM_FENCE);\n"
                + "        }\n"
                + "        #undef CNNC_STAGE\n"
                + "#else\n";
    }

    /** Row r's value of A at step p, read from global memory. */
    private static String aFromGlobal(Operand a) {
        return "ab[ar[r] + p * " + a.colStride() + "]";
    }

    /**
     * One step of k: ROWS broadcasts of A (row r's value: {@code aValue}) against the row of B in
     * bv, as fused multiply-adds; {@code unroll} precedes its loops (the edge tiles go without, to
     * compile faster).
     */
    private static String step(String aValue, String unroll) {
        return unroll
                + "                for (int r = 0; r < " + ROWS + "; r++) {\n"
                + "                    const floatv av = (floatv) (" + aValue + ");\n"
                + unroll
                + "                    for (int v = 0; v < " + COLS + " / VW; v++) acc[r][v] = fma(av, bv[v], acc[r][v]);\n"
                + "                }\n";
    }

    /**
     * The launch grid: column tiles, row tiles, and the batches unless they are summed or K is
     * split; then the third extent is the most parts the host may launch (batches, or chunks of
     * at least {@link #MIN_PART_K} steps of k, within {@link #maxParts()}).
     */
    List<ClPlan.Extent> grid() {
        ClPlan.Extent third = sumBatches ? batches
                : splitK() ? ClPlan.Extent.of(Math.min(maxParts(), (k.fixed() + MIN_PART_K - 1) / MIN_PART_K)) : batches;
        return List.of(new ClPlan.Extent(n.perExample(), n.fixed(), COLS), new ClPlan.Extent(m.perExample(), m.fixed(), ROWS), third);
    }

    /** Emits the kernel and launches it in the forward or backward pass. */
    void launch(ClEmitContext ctx, boolean forward, int op, String when) {
        String[] args = emit(ctx);
        ClPlan.Split split = sumBatches || splitK() ? new ClPlan.Split(maxParts(), sumBatches) : null;
        ctx.product(forward, op, name, grid(), split, when, args);
        String sumWhen = sumBatches ? when : "split:" + name + (when == null ? "" : "&" + when);
        if (sumBatches) {
            ctx.launch(forward, op, name + "_sum", 0, m.fixed() * n.fixed(), sumWhen, partialBuffer(), c.buffer(), "parts:" + name);
        } else if (splitK()) {
            long perExample = m.perExample() * n.fixed() + n.perExample() * m.fixed();
            String[] sumArgs = bias == null ? new String[] {partialBuffer(), c.buffer(), "parts:" + name}
                    : new String[] {partialBuffer(), c.buffer(), "P", "parts:" + name};
            ctx.launch(forward, op, name + "_sum", perExample, m.fixed() * n.fixed(), sumWhen, sumArgs);
        }
    }
}
