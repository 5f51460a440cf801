package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

final class ConvKernels implements ClOpEmitter<Op.ConvOp> {
    /**
     * Convolution as an implicit matrix product, register-tiled: a work item computes one output
     * position for a tile of filters, so neighbouring items (the SIMD lanes of a CPU device, the
     * threads of a warp) read neighbouring input values while they share every weight, which the
     * group stages in local memory.
     * The pooling epilogue then runs over the stored activations in a second, light kernel.
     */
    @Override
    public void emit(int k, Op.ConvOp op, ClEmitContext ctx) {
        Conv c = op.conv();
        Shape in = op.input().shape();
        Shape cs = op.convShape();
        int cin = (int) in.channels(), h = (int) in.height(), w = (int) in.width();
        int f = c.filters(), kh = c.kernelHeight(), kw = c.kernelWidth(), sh = c.strideHeight(), sw = c.strideWidth();
        int ph = c.pad()[0], pw = c.pad()[1];
        int oh = (int) cs.height(), ow = (int) cs.width();
        int positions = oh * ow;
        int kk = kh * kw;
        int kernelSize = cin * kk;
        var entries = ctx.plan.params().of(op.name());
        int wOff = entries.get("weight").offset();
        Op.Epilogue ep = op.epilogue();
        String x = ClEmitContext.value(op.input()), y = ClEmitContext.value(op.output()), dy = ClEmitContext.grad(op.output());
        String dz = "DZ" + k;
        long convPer = (long) f * positions;
        ctx.out.buffer(dz, convPer, 0, false);
        String cBuf = ep.pool() == null ? y : "C" + k;
        if (ep.pool() != null) {
            ctx.out.buffer(cBuf, convPer, 0, false);
        }

        int tf = ClEmitContext.tile(f, 8);
        int blocks = f / tf;
        // The work group's weights, cc channels at a time, staged in local memory: every item of the
        // group uses the same tf filters, so each weight is read from global memory once per group.
        int cc = ClEmitContext.tile(cin, Math.max(1, ClEmitContext.LOCAL_TILE_BYTES / 4 / (tf * kk)));
        int tileLen = tf * cc * kk;
        StringBuilder body = new StringBuilder()
                .append("    const int g = live ? gid : 0;\n")
                .append("    const int p = g % ").append(positions).append(", b = g / ").append(positions).append(", f0 = row * ").append(tf).append(";\n")
                .append("    const int oh = p / ").append(ow).append(", ow = p % ").append(ow).append(";\n")
                .append("    float acc[").append(tf).append("];\n")
                .append("    for (int t = 0; t < ").append(tf).append("; t++) acc[t] = ")
                .append(c.bias() ? "P[" + entries.get("bias").offset() + " + f0 + t]" : "0.0f").append(";\n")
                .append("    __local float wl[").append(tileLen).append("]; // [t][c - c0][i][j]\n")
                .append("    const __global float* xb = x + b * ").append((long) cin * h * w).append(";\n")
                .append("    const __global float* wb = P + ").append(wOff).append(" + f0 * ").append(kernelSize).append(";\n")
                .append("    for (int c0 = 0; c0 < ").append(cin).append("; c0 += ").append(cc).append(") {\n")
                .append("        barrier(CLK_LOCAL_MEM_FENCE);\n")
                .append("        for (int e = lid; e < ").append(tileLen).append("; e += lsize) wl[e] = wb[e / ").append(cc * kk).append(" * ")
                .append(kernelSize).append(" + c0 * ").append(kk).append(" + e % ").append(cc * kk).append("];\n")
                .append("        barrier(CLK_LOCAL_MEM_FENCE);\n")
                .append("        for (int c = c0; c < c0 + ").append(cc).append("; c++) {\n")
                .append("            for (int i = 0; i < ").append(kh).append("; i++) {\n")
                .append("                const int iy = oh * ").append(sh).append(" + i - ").append(ph).append(";\n")
                .append("                const bool inRow = iy >= 0 && iy < ").append(h).append(";\n")
                .append("                for (int j = 0; j < ").append(kw).append("; j++) {\n")
                .append("                    const int ix = ow * ").append(sw).append(" + j - ").append(pw).append(";\n")
                .append("                    const float v = inRow && ix >= 0 && ix < ").append(w).append(" ? xb[(c * ").append(h)
                .append(" + iy) * ").append(w).append(" + ix] : 0.0f;\n")
                .append("                    const __local float* wk = wl + ((c - c0) * ").append(kh).append(" + i) * ").append(kw).append(" + j;\n")
                .append("                    for (int t = 0; t < ").append(tf).append("; t++) acc[t] += wk[t * ").append(cc * kk).append("] * v;\n")
                .append("                }\n            }\n        }\n    }\n")
                .append("    if (!live) return;\n")
                .append("    __global float* ob = y + (b * ").append(f).append(" + f0) * ").append(positions).append(" + p;\n")
                .append("    for (int t = 0; t < ").append(tf).append("; t++) { const float z = acc[t]; ob[t * ").append(positions)
                .append("] = ").append(ClActivation.apply(ep.before(), "z")).append("; }\n");
        ctx.kernelTiled("op" + k + "_conv_fwd", "__global const float* x, __global const float* P, __global float* y", positions, 0, body.toString());
        ctx.out.forward.add(ctx.launch2(k, "op" + k + "_conv_fwd", positions, 0, 0, blocks, null, x, "P", cBuf));

        if (ep.pool() == null) {
            ctx.kernel("op" + k + "_conv_dz", "__global const float* y, __global const float* dy, __global float* dz", convPer, 0,
                    "    const float v = y[gid];\n    dz[gid] = dy[gid] * " + ClActivation.derivative(ep.before(), "v") + ";\n");
            ctx.back(k, "op" + k + "_conv_dz", convPer, 0, null, y, dy, dz);
        } else {
            Pool pool = ep.pool();
            Shape ps = ep.pooled();
            int qh = (int) ps.height(), qw = (int) ps.width();
            int pkh = pool.kernelHeight(), pkw = pool.kernelWidth(), psh = pool.strideHeight(), psw = pool.strideWidth();
            int pph = pool.pad()[0], ppw = pool.pad()[1];
            String aBuf = "A" + k;
            ctx.out.buffer(aBuf, (long) f * qh * qw, 0, true);
            PoolKernels.emit(ctx, k, "epilogue", pool.op(), f, oh, ow, qh, qw, pkh, pkw, psh, psw, pph, ppw, ep.after(), cBuf, y, aBuf, null, null, null);
            String route = pool.op() == Pool.Op.AVG
                    ? "                g += dy[o] * " + ClActivation.derivative(ep.after(), "y[o]") + " / " + (pkh * pkw) + ".0f;\n"
                    : "                if (args[o] == cy * " + ow + " + cx) g += dy[o] * " + ClActivation.derivative(ep.after(), "y[o]") + ";\n";
            ctx.kernel("op" + k + "_conv_dz", "__global const float* y, __global const float* dy, __global const float* c, __global const int* args, __global float* dz",
                    convPer, 0,
                    "    const int cx = gid % " + ow + ", cy = gid / " + ow + " % " + oh + ", pl = gid / " + positions + ";\n"
                            + ClEmitContext.windowLoops(qh, qw, pkh, pkw, psh, psw, pph, ppw, "cy", "cx",
                            "                const int o = pl * " + (qh * qw) + " + qy * " + qw + " + qx;\n" + route)
                            + "    const float v = c[gid];\n"
                            + "    dz[gid] = g == 0.0f ? 0.0f : g * " + ClActivation.derivative(ep.before(), "v") + ";\n");
            ctx.back(k, "op" + k + "_conv_dz", convPer, 0, null, y, dy, cBuf, aBuf, dz);
        }

        // Weight gradients: an item per (c, i, j) for a tile of filters (dimension 1), summing over the batch and positions.
        StringBuilder dw = new StringBuilder()
                .append("    const int q = gid, f0 = row * ").append(tf).append(";\n")
                .append("    const int j = q % ").append(kw).append(", i = q / ").append(kw).append(" % ").append(kh).append(", c = q / ").append(kk).append(";\n")
                .append("    acc_t acc[").append(tf).append("];\n") // long sums: kept in double where the device has it
                .append("    for (int t = 0; t < ").append(tf).append("; t++) acc[t] = 0;\n")
                .append("    for (int b = 0; b < n; b++) {\n")
                .append("        const __global float* xc = x + (b * ").append(cin).append(" + c) * ").append(h * w).append(";\n")
                .append("        const __global float* db = dz + (b * ").append(f).append(" + f0) * ").append(positions).append(";\n")
                .append("        for (int oh = 0; oh < ").append(oh).append("; oh++) {\n")
                .append(ClEmitContext.clippedTap("            ", "iy", "oh", sh, "i", ph, h))
                .append("            for (int ow = 0; ow < ").append(ow).append("; ow++) {\n")
                .append(ClEmitContext.clippedTap("                ", "ix", "ow", sw, "j", pw, w))
                .append("                const float v = xc[iy * ").append(w).append(" + ix];\n")
                .append("                for (int t = 0; t < ").append(tf).append("; t++) acc[t] += db[t * ").append(positions)
                .append(" + oh * ").append(ow).append(" + ow] * v;\n")
                .append("            }\n        }\n    }\n")
                .append("    for (int t = 0; t < ").append(tf).append("; t++) G[").append(wOff).append(" + (f0 + t) * ").append(kernelSize)
                .append(" + q] = (float) acc[t];\n");
        ctx.kernel2("op" + k + "_conv_dw", "__global const float* x, __global const float* dz, __global float* G", 0, kernelSize, dw.toString());
        ctx.out.backward.add(ctx.launch2(k, "op" + k + "_conv_dw", 0, kernelSize, 0, blocks, null, x, dz, "G"));
        if (c.bias()) {
            ctx.kernel("op" + k + "_conv_db", "__global const float* dz, __global float* G", 0, f,
                    "    acc_t s = 0;\n"
                            + "    for (int b = 0; b < n; b++) {\n"
                            + "        const __global float* p = dz + (b * " + f + " + gid) * " + positions + ";\n"
                            + "        for (int q = 0; q < " + positions + "; q++) s += p[q];\n    }\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_conv_db", 0, f, null, dz, "G");
        }

        // Input gradient: an item per input position for a tile of channels.
        int tc = ClEmitContext.tile(cin, 8);
        int cBlocks = cin / tc;
        ctx.kernel2("op" + k + "_conv_dx", "__global const float* dz, __global const float* P, __global float* dx", (long) h * w, 0,
                "    const int ix = gid % " + w + ", iy = gid / " + w + " % " + h + ", b = gid / " + (h * w) + ", c0 = row * " + tc + ";\n"
                        + "    float acc[" + tc + "];\n"
                        + "    for (int t = 0; t < " + tc + "; t++) acc[t] = 0.0f;\n"
                        + "    for (int f = 0; f < " + f + "; f++) {\n"
                        + "        const __global float* db = dz + (b * " + f + " + f) * " + positions + ";\n"
                        + "        const __global float* wf = P + " + wOff + " + (f * " + cin + " + c0) * " + kk + ";\n"
                        + "        for (int i = 0; i < " + kh + "; i++) {\n"
                        + "            const int ty = iy + " + ph + " - i;\n"
                        + "            if (ty < 0 || ty % " + sh + " != 0 || ty / " + sh + " >= " + oh + ") continue;\n"
                        + "            for (int j = 0; j < " + kw + "; j++) {\n"
                        + "                const int tx = ix + " + pw + " - j;\n"
                        + "                if (tx < 0 || tx % " + sw + " != 0 || tx / " + sw + " >= " + ow + ") continue;\n"
                        + "                const float g = db[ty / " + sh + " * " + ow + " + tx / " + sw + "];\n"
                        + "                for (int t = 0; t < " + tc + "; t++) acc[t] += wf[t * " + kk + " + i * " + kw + " + j] * g;\n"
                        + "            }\n        }\n    }\n"
                        + "    __global float* o = dx + (b * " + cin + " + c0) * " + (h * w) + " + iy * " + w + " + ix;\n"
                        + "    for (int t = 0; t < " + tc + "; t++) o[t * " + (h * w) + "] = acc[t];\n");
        ctx.out.backward.add(ctx.launch2(k, "op" + k + "_conv_dx", (long) h * w, 0, 0, cBlocks, ctx.inputWhen(op.input()), dz, "P", ctx.slot(k, op.input())));
    }
}
