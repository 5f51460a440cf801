package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;
import java.util.List;

final class ConvKernels implements ClOpEmitter<Op.ConvOp> {
    /**
     * Convolution as im2col and register-tiled products ({@link ClGemm}): forward W x col per
     * example, weight gradient dZ x rows summed over the batch, input gradient W^T x dZ then
     * col2im. The lowered input lives in one buffer per conv, reused by forward and backward.
     * The pooling epilogue runs over the stored activations in a second, light kernel.
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

        // The input lowered to columns (im2col), then one product per example into the conv's output
        // (NCHW): bias and the activation before any pool are applied as the product is stored.
        String col = "COL" + k;
        long colPer = (long) kernelSize * positions;
        ctx.out.buffer(col, colPer, 0, false);
        StringBuilder lower = new StringBuilder()
                .append("    const __global float* xp = x + pl * ").append(h * w).append(";\n")
                .append("    __global float* o = col + pl * ").append((long) kk * positions).append(" + oy * ").append(ow).append(" + ox;\n");
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                // a branch, not a select: PoCL vectorises it as a masked load (0.85 ms instead of 3.8
                // for conv2's im2col at batch 64, measured in a one-kernel harness)
                lower.append("    { const int iy = oy * ").append(sh).append(plus(i - ph)).append(", ix = ox * ").append(sw).append(plus(j - pw))
                        .append("; float v = 0.0f;\n")
                        .append("      if (iy >= 0 && iy < ").append(h).append(" && ix >= 0 && ix < ").append(w).append(") v = xp[iy * ").append(w).append(" + ix];\n")
                        .append("      o[").append((long) (i * kw + j) * positions).append("] = v; }\n");
            }
        }
        ctx.planeKernel(true, k, "op" + k + "_im2col", "__global const float* x, __global float* col", cin, oh, ow, "ox", "oy", null,
                lower.toString(), x, col);
        new ClGemm("op" + k + "_conv_fwd", ClPlan.Extent.of(f), ClPlan.Extent.of(positions), ClPlan.Extent.of(kernelSize), ClPlan.Extent.BATCH, false,
                new ClGemm.Operand("P", wOff, Integer.toString(kernelSize), "1", "0"),
                new ClGemm.Operand(col, 0, Integer.toString(positions), "1", Long.toString(colPer)),
                new ClGemm.Operand(cBuf, 0, Integer.toString(positions), "1", Long.toString(convPer)),
                c.bias() ? Integer.toString(entries.get("bias").offset()) : null, ep.before())
                .launch(ctx, true, k, null);

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
            String params = "__global const float* y, __global const float* dy, __global const float* c, __global const int* args, __global float* dz";
            String gradient = "dy[%s] * " + ClActivation.derivative(ep.after(), "y[%s]");
            if (PoolKernels.tiles(oh, ow, qh, qw, pkh, pkw, psh, psw, pph, ppw)) {
                ctx.planeKernel(false, k, "op" + k + "_conv_dz", params, f, qh, qw, "ox", "oy", null,
                        PoolKernels.routeToWindow(pool.op(), pkh, pkw, psh, psw, oh, ow, gradient.replace("%s", "gid"), "dz",
                                (r, at) -> r + " == 0.0f ? 0.0f : " + r + " * " + ClActivation.derivative(ep.before(), "c[" + at + "]")),
                        y, dy, cBuf, aBuf, dz);
            } else {
                String route = pool.op() == Pool.Op.AVG
                        ? "                g += " + gradient.replace("%s", "o") + " / " + (pkh * pkw) + ".0f;\n"
                        : "                if (args[o] == cy * " + ow + " + cx) g += " + gradient.replace("%s", "o") + ";\n";
                ctx.planeKernel(false, k, "op" + k + "_conv_dz", params, f, oh, ow, "cx", "cy", null,
                        ClEmitContext.windowLoops(qh, qw, pkh, pkw, psh, psw, pph, ppw, "cy", "cx",
                                "                const int o = pl * " + (qh * qw) + " + qy * " + qw + " + qx;\n" + route)
                                + "    const float v = c[gid];\n"
                                + "    dz[gid] = g == 0.0f ? 0.0f : g * " + ClActivation.derivative(ep.before(), "v") + ";\n",
                        y, dy, cBuf, aBuf, dz);
            }
        }

        // Weight gradients: dW^T = sum over examples of col x dZ^T, the columns still those the
        // forward lowered (the input gradient below overwrites them only afterwards), dZ transposed
        // so that B's columns (filters) are adjacent; stored transposed into the gradient.
        String dzt = "DZT" + k;
        ctx.out.buffer(dzt, convPer, 0, false);
        ctx.transpose(false, k, "op" + k + "_dz_transpose", dz, dzt, ClPlan.Extent.of(f), ClPlan.Extent.of(positions), ClPlan.Extent.BATCH, null);
        new ClGemm("op" + k + "_conv_dw", ClPlan.Extent.of(kernelSize), ClPlan.Extent.of(f), ClPlan.Extent.of(positions), ClPlan.Extent.BATCH, true,
                new ClGemm.Operand(col, 0, Integer.toString(positions), "1", Long.toString(colPer)),
                new ClGemm.Operand(dzt, 0, Integer.toString(f), "1", Long.toString(convPer)),
                new ClGemm.Operand("G", wOff, "1", Integer.toString(kernelSize), "0"), null, null)
                .launch(ctx, false, k, null);
        if (c.bias()) {
            // Bias gradient in two steps, a sum per (example, filter) then over the examples, so
            // that n x f items share the work instead of f; read from dZ^T, where neighbouring
            // items (filters) read neighbouring floats.
            String dbParts = "DB" + k;
            ctx.out.buffer(dbParts, f, 0, false);
            ctx.planeKernel(false, k, "op" + k + "_conv_db_parts", "__global const float* dzt, __global float* parts", 1, 1, f, "fi", "row", null,
                    "    const __global float* p = dzt + pl * " + convPer + " + fi;\n"
                            + "    acc_t s = 0;\n"
                            + "    for (int q = 0; q < " + positions + "; q++) s += p[q * " + f + "];\n"
                            + "    parts[gid] = (float) s;\n", dzt, dbParts);
            ctx.kernel("op" + k + "_conv_db", "__global const float* parts, __global float* G", 0, f,
                    "    acc_t s = 0;\n"
                            + "    for (int b = 0; b < n; b++) s += parts[b * " + f + " + gid];\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_conv_db", 0, f, null, dbParts, "G");
        }

        // Input gradient: the columns' gradient W^T x dZ per example, then col2im as a gather (each
        // input element sums the column entries that read it, so no two items write one place).
        String when = ctx.inputWhen(op.input());
        new ClGemm("op" + k + "_conv_dcol", ClPlan.Extent.of(kernelSize), ClPlan.Extent.of(positions), ClPlan.Extent.of(f), ClPlan.Extent.BATCH, false,
                new ClGemm.Operand("P", wOff, "1", Integer.toString(kernelSize), "0"),
                new ClGemm.Operand(dz, 0, Integer.toString(positions), "1", Long.toString(convPer)),
                new ClGemm.Operand(col, 0, Integer.toString(positions), "1", Long.toString(colPer)), null, null)
                .launch(ctx, false, k, when);
        StringBuilder gather = new StringBuilder()
                .append("    const __global float* cb = col + pl * ").append((long) kk * positions).append(";\n")
                .append("    float s = 0.0f;\n");
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                // (ty, tx): where tap (i, j) of an output would read (iy, ix), in input units
                gather.append("    { const int ty = iy").append(plus(ph - i)).append(", tx = ix").append(plus(pw - j)).append(";\n")
                        .append("      if (ty >= 0 && ty < ").append(oh * sh).append(" && tx >= 0 && tx < ").append(ow * sw)
                        .append(sh == 1 ? "" : " && ty % " + sh + " == 0").append(sw == 1 ? "" : " && tx % " + sw + " == 0").append(")")
                        .append(" s += cb[").append((long) (i * kw + j) * positions).append(" + ").append(sh == 1 ? "ty" : "ty / " + sh).append(" * ").append(ow)
                        .append(" + ").append(sw == 1 ? "tx" : "tx / " + sw).append("]; }\n");
            }
        }
        gather.append("    dx[gid] = s;\n");
        ctx.planeKernel(false, k, "op" + k + "_col2im", "__global const float* col, __global float* dx", cin, h, w, "ix", "iy", when,
                gather.toString(), col, ctx.slot(k, op.input()));
    }

    /** " + v", " - |v|", or nothing for 0: an offset as it reads in C. */
    private static String plus(int v) {
        return v == 0 ? "" : v > 0 ? " + " + v : " - " + -v;
    }
}
