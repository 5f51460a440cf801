package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Activation;
import java.util.List;

/**
 * One matrix product as an OpenCL kernel: C = act(bias + A x B), M x N from a reduction over K,
 * for each of {@code batches} products (or, with {@code sumBatches}, one C summed over them).
 * A sum over batches is split: {@link #partials(long)} items per tile each sum every so-many-th
 * batch into a partial C of their own (a weight gradient has few tiles, so one item per tile
 * would leave most of a device idle and stream every batch through one core), and a second
 * kernel adds the partials up into C.
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

    /** Floats the partial sums of a batch-summed product may take (16 MiB). */
    static final long PARTIAL_FLOATS = 1L << 22;

    /** How many partial C's a summed product of an M x N result uses: up to 16, within {@link #PARTIAL_FLOATS}. */
    static int partials(long resultSize) {
        return (int) Math.max(1, Math.min(16, PARTIAL_FLOATS / Math.max(1, resultSize)));
    }

    private int partials() {
        return sumBatches ? partials(m.fixed() * n.fixed()) : 0;
    }

    private String partialBuffer() {
        return name.toUpperCase(java.util.Locale.ROOT) + "_PARTS";
    }

    /** Appends the kernel(s) to the program and returns the product's launch arguments (buffer names, in order). */
    String[] emit(ClEmitContext ctx) {
        if (sumBatches && (m.perExample() != 0 || n.perExample() != 0 || bias != null || activation != null)) {
            throw new IllegalArgumentException("a product summed over batches has a fixed size, and no bias or activation");
        }
        int parts = partials();
        if (!b.colStride().equals("1")) {
            throw new IllegalArgumentException("B's columns must be adjacent");
        }
        String bLd = b.rowStride();
        boolean large = work() >= UNROLL_WORK;
        String unroll = large ? UNROLL : GPU_UNROLL, kUnroll = large ? K_UNROLL : "";
        StringBuilder s = ctx.src;
        s.append("// ").append(name).append(": C[").append(m.expression()).append(" x ").append(n.expression()).append("] = ")
                .append(bias == null ? "" : "bias + ").append("A x B over k < ").append(k.expression())
                .append(sumBatches ? ", summed over " : ", for each of ").append(batches.expression()).append(" batches\n");
        s.append("__kernel void ").append(name).append("(__global const float* A, __global const float* B, __global float* C")
                .append(bias == null ? "" : ", __global const float* P").append(", const int n) {\n")
                .append("    const int j0 = get_global_id(0) * ").append(COLS).append(", i0 = get_global_id(1) * ").append(ROWS)
                .append(", z = get_global_id(2);\n")
                .append("    const int M = ").append(m.expression()).append(", N = ").append(n.expression())
                .append(", K = ").append(k.expression()).append(";\n")
                .append("#ifdef CNNC_LOCAL_TILES\n")
                .append("    __local float la[TGY * ").append(ROWS).append("][").append(LOCAL_K).append("], lb[").append(LOCAL_K).append("][TGX * ").append(COLS).append("];\n")
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
                .append(sumBatches ? "    for (int bt = z; bt < " + batches.expression() + "; bt += " + parts + ") { // every " + parts + "th batch\n"
                        : "    { const int bt = z;\n")
                .append("        const __global float* ab = A + ").append(a.offset()).append(" + bt * ").append(a.batchStride()).append(";\n")
                .append("        const __global float* bb = B + ").append(b.offset()).append(" + bt * ").append(b.batchStride()).append(" + j0;\n")
                .append(localSteps(a, bLd))
                .append("        if (j0 + ").append(COLS).append(" <= N) {\n")
                .append(kUnroll)
                .append("            for (int p = 0; p < K; p++) {\n")
                .append("                floatv bv[").append(COLS).append(" / VW];\n")
                .append(unroll)
                .append("                for (int v = 0; v < ").append(COLS).append(" / VW; v++) bv[v] = vloadv(v, bb + p * ").append(bLd).append(");\n")
                .append(step(aFromGlobal(a), unroll))
                .append("            }\n")
                .append("        } else { // the last columns: B read as zeros past N\n")
                .append("            for (int p = 0; p < K; p++) {\n")
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
                .append("    }\n")
                .append("    __global float* cb = C + ").append(sumBatches ? "z * " + m.fixed() * n.fixed() : c.offset() + " + z * " + c.batchStride()).append(";\n")
                // fixed counts with the bounds as ifs inside: loops that exit early are not unrolled (finding 1)
                .append(GPU_UNROLL)
                .append("    for (int r = 0; r < ").append(ROWS).append("; r++) {\n")
                .append("        if (i0 + r < M) {\n")
                .append(GPU_UNROLL)
                .append("        for (int x = 0; x < ").append(COLS).append("; x++) {\n")
                .append("          if (j0 + x < N) {\n")
                .append("            const float t = ").append(bias == null ? "" : "P[" + bias + " + i0 + r] + ").append("((const float*) &acc[r][x / VW])[x % VW];\n")
                .append("            cb[(i0 + r) * ").append(sumBatches ? Long.toString(n.fixed()) : c.rowStride()).append(" + (j0 + x) * ")
                .append(sumBatches ? "1" : c.colStride()).append("] = ")
                .append(ClActivation.apply(activation, "t")).append(";\n")
                .append("          }\n")
                .append("        }\n")
                .append("        }\n")
                .append("    }\n")
                .append("}\n\n");
        if (sumBatches) {
            long size = m.fixed() * n.fixed();
            ctx.out.buffer(partialBuffer(), 0, parts * size, false);
            ctx.kernel(name + "_sum", "__global const float* parts, __global float* C", 0, size,
                    "    float s = 0.0f;\n"
                            + "    for (int z = 0; z < " + parts + "; z++) s += parts[z * " + size + " + gid];\n"
                            + "    C[" + c.offset() + " + gid / " + n.fixed() + " * " + c.rowStride() + " + gid % " + n.fixed() + " * " + c.colStride()
                            + "] = s;\n");
        }
        String cArg = sumBatches ? partialBuffer() : c.buffer();
        return bias == null ? new String[] {a.buffer(), b.buffer(), cArg} : new String[] {a.buffer(), b.buffer(), cArg, "P"};
    }

    /**
     * With {@code -DCNNC_LOCAL_TILES -DTGX=.. -DTGY=..} (the host's choice on devices with
     * dedicated local memory, GPUs): the work group of TGX x TGY items stages the A rows and B
     * columns its tiles need in local memory, LOCAL_K steps of k at a time, so each value is read
     * from global memory once per group instead of once per item. Items past M or N take part
     * (the barriers need every item) and store nothing. Opens an #ifdef that the register path
     * after it closes.
     */
    private static String localSteps(Operand a, String bLd) {
        int kc = LOCAL_K;
        return "#ifdef CNNC_LOCAL_TILES\n"
                + "        const int li = get_local_id(1) * TGX + get_local_id(0), lr = get_local_id(1) * " + ROWS + ", lc = get_local_id(0) * " + COLS + ";\n"
                + "        const int bi = get_group_id(1) * (TGY * " + ROWS + "), bj = get_group_id(0) * (TGX * " + COLS + ");\n"
                + "        const __global float* bg = bb - j0 + bj;\n"
                + "        for (int p0 = 0; p0 < K; p0 += " + kc + ") {\n"
                + "            for (int e = li; e < TGY * " + ROWS * kc + "; e += TGX * TGY) {\n"
                + "                const int r = e / " + kc + ", q = e % " + kc + ";\n"
                + "                la[r][q] = p0 + q < K ? ab[min(bi + r, M - 1) * " + a.rowStride() + " + (p0 + q) * " + a.colStride() + "] : 0.0f;\n"
                + "            }\n"
                + "            for (int e = li; e < TGX * " + COLS * kc + "; e += TGX * TGY) {\n"
                + "                const int q = e / (TGX * " + COLS + "), x = e % (TGX * " + COLS + ");\n"
                + "                lb[q][x] = p0 + q < K && bj + x < N ? bg[(p0 + q) * " + bLd + " + x] : 0.0f;\n"
                + "            }\n"
                + "            barrier(CLK_LOCAL_MEM_FENCE);\n"
                + "            for (int q = 0; q < " + kc + "; q++) {\n"
                + "                floatv bv[" + COLS + " / VW];\n"
                + UNROLL
                + "                for (int v = 0; v < " + COLS + " / VW; v++) bv[v] = vloadv(v, &lb[q][lc]);\n"
                + step("la[lr + r][q]", UNROLL)
                + "            }\n"
                + "            barrier(CLK_LOCAL_MEM_FENCE);\n"
                + "        }\n"
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

    /** The launch grid: column tiles, row tiles, and the batches unless they are summed. */
    List<ClPlan.Extent> grid() {
        return List.of(new ClPlan.Extent(n.perExample(), n.fixed(), COLS), new ClPlan.Extent(m.perExample(), m.fixed(), ROWS),
                sumBatches ? ClPlan.Extent.of(partials()) : batches);
    }

    /** Emits the kernel and launches it in the forward or backward pass. */
    void launch(ClEmitContext ctx, boolean forward, int op, String when) {
        String[] args = emit(ctx);
        ctx.product(forward, op, name, grid(), when, args);
        if (sumBatches) {
            long size = m.fixed() * n.fixed();
            if (forward) {
                ctx.fwd(op, name + "_sum", 0, size, when, partialBuffer(), c.buffer());
            } else {
                ctx.back(op, name + "_sum", 0, size, when, partialBuffer(), c.buffer());
            }
        }
    }
}
