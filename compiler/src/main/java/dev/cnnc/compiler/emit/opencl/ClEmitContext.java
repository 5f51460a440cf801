package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Tensor;
import java.util.List;

/**
 * What the per-op kernel emitters share: the plan, the program being written, and the names
 * and launch helpers. Tensors are NCHW on the device; {@code T<id>} is a tensor's value,
 * {@code D<id>} its gradient (with {@code D<id>_<r>} slots when several ops read it).
 */
final class ClEmitContext {
    final KernelPlan plan;
    final ClPlan out = new ClPlan();
    final StringBuilder src = out.source;

    ClEmitContext(KernelPlan plan) {
        this.plan = plan;
    }

    static String value(Tensor t) {
        return "T" + t.id();
    }

    static String grad(Tensor t) {
        return "D" + t.id();
    }

    /** Where op k writes the gradient of its input {@code t} (a slot of its own when t has several readers). */
    String slot(int k, Tensor t) {
        return slot(k, t, plan.ops().get(k).inputs().indexOf(t));
    }

    /** The same for the input at {@code position} (an add may read one tensor twice: x + x). */
    String slot(int k, Tensor t, int position) {
        List<int[]> readers = plan.consumers(t);
        for (int r = 0; r < readers.size(); r++) {
            if (readers.get(r)[0] == k && readers.get(r)[1] == position) {
                return r == 0 ? grad(t) : grad(t) + "_" + r;
            }
        }
        throw new IllegalStateException("op " + k + " does not read t" + t.id() + " at " + position);
    }

    /** Whether op k's backward must produce its input's gradient: always, except for the network input when not asked. */
    String inputWhen(Tensor t) {
        return t.id() == plan.input().id() ? "inputGradient" : null;
    }

    void sumSlots(int k, Tensor t) {
        for (int r = 1; r < plan.consumers(t).size(); r++) {
            back(k, "add_into", t.perExample(), 0, null, grad(t), grad(t) + "_" + r, "count");
        }
    }

    void fwd(int k, String kernel, long perExample, long fixed, String when, String... args) {
        out.forward.add(new ClPlan.Launch(k, kernel, perExample, fixed, List.of(args), when, List.of(), false, null, List.of()));
    }

    void back(int k, String kernel, long perExample, long fixed, String when, String... args) {
        out.backward.add(new ClPlan.Launch(k, kernel, perExample, fixed, List.of(args), when, List.of(), false, null, List.of()));
    }

    /** A launch over a grid of one to three extents (see {@link ClPlan.Extent}); the kernel reads its position with get_global_id. */
    void grid(boolean forward, int k, String kernel, List<ClPlan.Extent> grid, String when, String... args) {
        (forward ? out.forward : out.backward).add(new ClPlan.Launch(k, kernel, 0, 0, List.of(args), when, grid, false, null, List.of()));
    }

    /** A launch in the forward or the backward pass (see {@link #fwd}). */
    void launch(boolean forward, int k, String kernel, long perExample, long fixed, String when, String... args) {
        if (forward) {
            fwd(k, kernel, perExample, fixed, when, args);
        } else {
            back(k, kernel, perExample, fixed, when, args);
        }
    }

    /** The launch of a {@link ClGemm} product over its tile grid, split as {@code split} says (null: not split). */
    void product(boolean forward, int k, String kernel, List<ClPlan.Extent> grid, ClPlan.Split split, String when, String... args) {
        (forward ? out.forward : out.backward).add(new ClPlan.Launch(k, kernel, 0, 0, List.of(args), when, grid, true, split, List.of()));
    }

    /** Rows and columns of the tile a group of {@link #transpose} moves, and the group's rows of items. */
    static final int TRANSPOSE_TILE = 32, TRANSPOSE_ROWS = 8;

    /**
     * {@code out[b][c][r] = in[b][r][c]} for each of {@code batches} R x C matrices: a group of 32 x 8
     * items reads a 32 x 32 tile along rows and writes it along columns through local memory
     * (padded to 33 so that the column reads hit distinct banks), so both the reads and the
     * writes of neighbouring items are adjacent in global memory. Without local tiles (a CPU
     * device) the same groups copy directly, neighbouring items writing adjacent floats.
     */
    void transpose(boolean forward, int k, String name, String in, String outBuffer, ClPlan.Extent rows, ClPlan.Extent cols,
                   ClPlan.Extent batches, String when) {
        int t = TRANSPOSE_TILE;
        src.append("__kernel void ").append(name).append("(__global const float* in, __global float* out, const int n) {\n")
                .append("    const int R = ").append(rows.expression()).append(", C = ").append(cols.expression()).append(";\n")
                .append("    const int lx = get_local_id(0), ly = get_local_id(1);\n")
                .append("    const int c0 = get_group_id(0) * ").append(t).append(", r0 = get_group_id(1) * ").append(t).append(";\n")
                .append("    const __global float* s = in + get_global_id(2) * (R * C);\n")
                .append("    __global float* d = out + get_global_id(2) * (R * C);\n")
                .append("#ifdef CNNC_LOCAL_TILES\n")
                .append("    __local float tile[").append(t).append("][").append(t + 1).append("];\n")
                .append("    for (int j = ly; j < ").append(t).append("; j += ").append(TRANSPOSE_ROWS).append(")\n")
                .append("        if (r0 + j < R && c0 + lx < C) tile[j][lx] = s[(r0 + j) * C + c0 + lx];\n")
                .append("    barrier(CLK_LOCAL_MEM_FENCE);\n")
                .append("    for (int j = ly; j < ").append(t).append("; j += ").append(TRANSPOSE_ROWS).append(")\n")
                .append("        if (c0 + j < C && r0 + lx < R) d[(c0 + j) * R + r0 + lx] = tile[lx][j];\n")
                .append("#else\n")
                // a CPU device (PoCL): no local memory or barrier, which it runs as a copy and a
                // split kernel; lanes across the output's adjacent floats (measured faster there)
                .append("    for (int j = ly; j < ").append(t).append("; j += ").append(TRANSPOSE_ROWS).append(")\n")
                .append("        if (c0 + j < C && r0 + lx < R) d[(c0 + j) * R + r0 + lx] = s[(r0 + lx) * C + c0 + j];\n")
                .append("#endif\n")
                .append("}\n\n");
        List<ClPlan.Extent> groups = List.of(new ClPlan.Extent(cols.perExample(), cols.fixed(), t),
                new ClPlan.Extent(rows.perExample(), rows.fixed(), t), batches);
        (forward ? out.forward : out.backward).add(new ClPlan.Launch(k, name, 0, 0, List.of(in, outBuffer), when, groups, false, null,
                List.of(t, TRANSPOSE_ROWS, 1)));
    }

    void kernel(String name, String params, long perExample, long fixed, String body) {
        src.append("__kernel void ").append(name).append('(').append(params).append(", const int n) {\n")
                .append("    const int gid = get_global_id(0);\n")
                .append("    if (gid >= n * ").append(perExample).append(" + ").append(fixed).append(") return;\n")
                .append(body).append("}\n\n");
    }

    /**
     * A kernel over every position ({@code xName}, {@code yName}) of h x w in each of
     * {@code planes} planes per example ({@code pl}): a grid, so an item finds its place without
     * divisions or a bounds check, and a CPU device runs neighbouring x in SIMD lanes. The body
     * also sees {@code gid}, the position's NCHW index.
     */
    void planeKernel(boolean forward, int k, String name, String params, long planes, int h, int w, String xName, String yName,
                     String when, String body, String... args) {
        src.append("__kernel void ").append(name).append('(').append(params).append(", const int n) {\n")
                .append("    const int ").append(xName).append(" = get_global_id(0), ").append(yName)
                .append(" = get_global_id(1), pl = get_global_id(2);\n")
                .append("    const int gid = (pl * ").append(h).append(" + ").append(yName).append(") * ").append(w).append(" + ").append(xName).append(";\n")
                .append(body).append("}\n\n");
        grid(forward, k, name, List.of(ClPlan.Extent.of(w), ClPlan.Extent.of(h), new ClPlan.Extent(planes, 0, 1)), when, args);
    }

    /**
     * Inside a loop over window taps: the input coordinate {@code in} that tap {@code tap} of output
     * {@code out} reads along one axis, and a {@code continue} when it falls in the padding.
     */
    static String clippedTap(String indent, String in, String out, int stride, String tap, int pad, int size) {
        return indent + "const int " + in + " = " + out + " * " + stride + " + " + tap + " - " + pad + ";\n"
                + indent + "if (" + in + " < 0 || " + in + " >= " + size + ") continue;\n";
    }

    /** Loops over the pooling windows (qy, qx) that contain position (py, px) of the pooled input; declares g. */
    static String windowLoops(int qh, int qw, int kh, int kw, int sh, int sw, int ph, int pw, String py, String px, String inner) {
        if (kh == sh && kw == sw && ph == 0 && pw == 0) {
            // Windows that tile the input: a position lies in one window at most, found by division;
            // straight-line code, which a CPU device runs across items in SIMD lanes.
            return "    float g = 0.0f;\n"
                    + "    const int qy = " + py + " / " + sh + ", qx = " + px + " / " + sw + ";\n"
                    + "    if (qy < " + qh + " && qx < " + qw + ") {\n"
                    + inner
                    + "    }\n";
        }
        return "    float g = 0.0f;\n"
                + "    const int ly = " + py + " + " + ph + " - " + kh + " + 1, lx = " + px + " + " + pw + " - " + kw + " + 1;\n"
                + "    const int qy0 = ly <= 0 ? 0 : (ly + " + (sh - 1) + ") / " + sh + ", qy1 = min((" + py + " + " + ph + ") / " + sh + ", " + (qh - 1) + ");\n"
                + "    const int qx0 = lx <= 0 ? 0 : (lx + " + (sw - 1) + ") / " + sw + ", qx1 = min((" + px + " + " + pw + ") / " + sw + ", " + (qw - 1) + ");\n"
                + "    for (int qy = qy0; qy <= qy1; qy++) {\n"
                + "        for (int qx = qx0; qx <= qx1; qx++) {\n"
                + inner
                + "        }\n    }\n";
    }
}
