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
        ctx.src.append("__kernel void op").append(k).append("_im2col(__global const float* x, __global float* col, const int n) {\n")
                .append("    const int oy = get_global_id(0), q = get_global_id(1), b = get_global_id(2);\n")
                .append("    const int j = q % ").append(kw).append(", i = q / ").append(kw).append(" % ").append(kh).append(", c = q / ").append(kk).append(";\n")
                .append("    const int iy = oy * ").append(sh).append(" + i - ").append(ph).append(";\n")
                .append("    __global float* o = col + (b * ").append(kernelSize).append(" + q) * ").append(positions).append(" + oy * ").append(ow).append(";\n")
                .append("    if (iy < 0 || iy >= ").append(h).append(") { for (int ox = 0; ox < ").append(ow).append("; ox++) o[ox] = 0.0f; return; }\n")
                .append("    const __global float* s = x + ((b * ").append(cin).append(" + c) * ").append(h).append(" + iy) * ").append(w).append(";\n")
                .append("    for (int ox = 0; ox < ").append(ow).append("; ox++) {\n")
                .append("        const int ix = ox * ").append(sw).append(" + j - ").append(pw).append(";\n")
                .append("        o[ox] = ix >= 0 && ix < ").append(w).append(" ? s[ix] : 0.0f;\n")
                .append("    }\n}\n\n");
        ctx.grid(true, k, "op" + k + "_im2col", List.of(ClPlan.Extent.of(oh), ClPlan.Extent.of(kernelSize), ClPlan.Extent.BATCH), null, x, col);
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

        // Weight gradients: the input lowered again, now a row of taps per output position, so that
        // dW = sum over examples of dZ x rows is a product whose B has adjacent columns.
        ctx.kernel("op" + k + "_im2row", "__global const float* x, __global float* col", positions, 0,
                "    const int p = gid % " + positions + ", b = gid / " + positions + ", oy = p / " + ow + ", ox = p % " + ow + ";\n"
                        + "    __global float* o = col + gid * " + kernelSize + ";\n"
                        + "    const __global float* xb = x + b * " + ((long) cin * h * w) + ";\n"
                        + "    for (int c = 0; c < " + cin + "; c++) {\n"
                        + "        for (int i = 0; i < " + kh + "; i++) {\n"
                        + "            const int iy = oy * " + sh + " + i - " + ph + ";\n"
                        + "            for (int j = 0; j < " + kw + "; j++) {\n"
                        + "                const int ix = ox * " + sw + " + j - " + pw + ";\n"
                        + "                o[(c * " + kh + " + i) * " + kw + " + j] = iy >= 0 && iy < " + h + " && ix >= 0 && ix < " + w
                        + " ? xb[(c * " + h + " + iy) * " + w + " + ix] : 0.0f;\n"
                        + "            }\n        }\n    }\n");
        ctx.back(k, "op" + k + "_im2row", positions, 0, null, x, col);
        new ClGemm("op" + k + "_conv_dw", ClPlan.Extent.of(f), ClPlan.Extent.of(kernelSize), ClPlan.Extent.of(positions), ClPlan.Extent.BATCH, true,
                new ClGemm.Operand(dz, 0, Integer.toString(positions), "1", Long.toString(convPer)),
                new ClGemm.Operand(col, 0, Integer.toString(kernelSize), "1", Long.toString(colPer)),
                new ClGemm.Operand("G", wOff, Integer.toString(kernelSize), "1", "0"), null, null)
                .launch(ctx, false, k, null);
        if (c.bias()) {
            ctx.kernel("op" + k + "_conv_db", "__global const float* dz, __global float* G", 0, f,
                    "    acc_t s = 0;\n"
                            + "    for (int b = 0; b < n; b++) {\n"
                            + "        const __global float* p = dz + (b * " + f + " + gid) * " + positions + ";\n"
                            + "        for (int q = 0; q < " + positions + "; q++) s += p[q];\n    }\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_conv_db", 0, f, null, dz, "G");
        }

        // Input gradient: the columns' gradient W^T x dZ per example, then col2im as a gather (each
        // input element sums the column entries that read it, so no two items write one place).
        String when = ctx.inputWhen(op.input());
        new ClGemm("op" + k + "_conv_dcol", ClPlan.Extent.of(kernelSize), ClPlan.Extent.of(positions), ClPlan.Extent.of(f), ClPlan.Extent.BATCH, false,
                new ClGemm.Operand("P", wOff, "1", Integer.toString(kernelSize), "0"),
                new ClGemm.Operand(dz, 0, Integer.toString(positions), "1", Long.toString(convPer)),
                new ClGemm.Operand(col, 0, Integer.toString(positions), "1", Long.toString(colPer)), null, null)
                .launch(ctx, false, k, when);
        ctx.kernel("op" + k + "_col2im", "__global const float* col, __global float* dx", (long) cin * h * w, 0,
                "    const int ix = gid % " + w + ", iy = gid / " + w + " % " + h + ", c = gid / " + (h * w) + " % " + cin
                        + ", b = gid / " + ((long) cin * h * w) + ";\n"
                        + "    const __global float* cb = col + (b * " + kernelSize + " + c * " + kk + ") * " + positions + ";\n"
                        + "    float s = 0.0f;\n"
                        + "    for (int i = 0; i < " + kh + "; i++) {\n"
                        + "        const int ty = iy + " + ph + " - i;\n"
                        + "        if (ty < 0 || ty % " + sh + " != 0 || ty / " + sh + " >= " + oh + ") continue;\n"
                        + "        for (int j = 0; j < " + kw + "; j++) {\n"
                        + "            const int tx = ix + " + pw + " - j;\n"
                        + "            if (tx < 0 || tx % " + sw + " != 0 || tx / " + sw + " >= " + ow + ") continue;\n"
                        + "            s += cb[(i * " + kw + " + j) * " + positions + " + ty / " + sh + " * " + ow + " + tx / " + sw + "];\n"
                        + "        }\n    }\n"
                        + "    dx[gid] = s;\n");
        ctx.back(k, "op" + k + "_col2im", (long) cin * h * w, 0, when, col, ctx.slot(k, op.input()));
    }
}
