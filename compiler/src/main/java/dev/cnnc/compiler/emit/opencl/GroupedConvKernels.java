package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/**
 * A grouped or dilated conv on the device (NCHW), computed directly: forward one item per
 * output value (bias and activation applied as it is stored); backward the activation's
 * derivative into a buffer of its own, then one item per weight (summing over the batch), one
 * per bias and one per input value (gathering the outputs that read it): every value written
 * by one item, no atomics.
 */
final class GroupedConvKernels implements ClOpEmitter<Op.GroupedConvOp> {
    @Override
    public void emit(int k, Op.GroupedConvOp op, ClEmitContext ctx) {
        Conv c = op.conv();
        Shape in = op.input().shape(), out = op.output().shape();
        int cin = (int) in.channels(), h = (int) in.height(), w = (int) in.width();
        int f = c.filters(), kh = c.kernelHeight(), kw = c.kernelWidth(), sh = c.strideHeight(), sw = c.strideWidth();
        int dh = c.dilationHeight(), dw = c.dilationWidth(), ph = c.pad()[0], pw = c.pad()[1];
        int oh = (int) out.height(), ow = (int) out.width();
        int cg = cin / c.groups(), fg = f / c.groups(), taps = cg * kh * kw;
        var entries = ctx.plan.params().of(op.name());
        int wOff = entries.get("weight").offset();
        String bias = c.bias() ? "P[" + entries.get("bias").offset() + " + fi]" : "0.0f";
        long outPer = (long) f * oh * ow, inPer = (long) cin * h * w;
        String x = ClEmitContext.value(op.input()), y = ClEmitContext.value(op.output()), dy = ClEmitContext.grad(op.output()), dz = "DZ" + k;

        ctx.kernel("op" + k + "_gconv_fwd", "__global const float* x, __global const float* P, __global float* y", outPer, 0,
                "    const int b = gid / " + outPer + ", fi = gid / " + (oh * ow) + " % " + f + ", oy = gid / " + ow + " % " + oh + ", ox = gid % " + ow + ";\n"
                        + "    const __global float* xb = x + (b * " + cin + " + fi / " + fg + " * " + cg + ") * " + (h * w) + ";\n"
                        + "    const __global float* wf = P + " + wOff + " + fi * " + taps + ";\n"
                        + "    float s = " + bias + ";\n"
                        + "    for (int ch = 0; ch < " + cg + "; ch++) {\n"
                        + "        for (int i = 0; i < " + kh + "; i++) {\n"
                        + "            const int iy = oy * " + sh + " + i * " + dh + " - " + ph + ";\n"
                        + "            if (iy < 0 || iy >= " + h + ") continue;\n"
                        + "            for (int j = 0; j < " + kw + "; j++) {\n"
                        + "                const int ix = ox * " + sw + " + j * " + dw + " - " + pw + ";\n"
                        + "                if (ix >= 0 && ix < " + w + ") s += wf[(ch * " + kh + " + i) * " + kw + " + j] * xb[(ch * " + h + " + iy) * " + w + " + ix];\n"
                        + "            }\n        }\n    }\n"
                        + "    y[gid] = " + ClActivation.apply(op.activation(), "s") + ";\n");
        ctx.fwd(k, "op" + k + "_gconv_fwd", outPer, 0, null, x, "P", y);

        ctx.out.buffer(dz, outPer, 0, false);
        ctx.kernel("op" + k + "_gconv_dz", "__global const float* y, __global const float* dy, __global float* dz", outPer, 0,
                "    const float v = y[gid];\n    dz[gid] = dy[gid] * " + ClActivation.derivative(op.activation(), "v") + ";\n");
        ctx.back(k, "op" + k + "_gconv_dz", outPer, 0, null, y, dy, dz);

        // dW[fi][ch][i][j]: the sum over examples and output positions of dz x the input it read
        ctx.kernel("op" + k + "_gconv_dw", "__global const float* x, __global const float* dz, __global float* G", 0, (long) f * taps,
                "    const int fi = gid / " + taps + ", ch = gid / " + (kh * kw) + " % " + cg + ", i = gid / " + kw + " % " + kh + ", j = gid % " + kw + ";\n"
                        + "    const int c = fi / " + fg + " * " + cg + " + ch;\n"
                        + "    acc_t s = 0;\n"
                        + "    for (int b = 0; b < n; b++) {\n"
                        + "        const __global float* xp = x + (b * " + cin + " + c) * " + (h * w) + ";\n"
                        + "        const __global float* gp = dz + (b * " + f + " + fi) * " + (oh * ow) + ";\n"
                        + "        for (int oy = 0; oy < " + oh + "; oy++) {\n"
                        + "            const int iy = oy * " + sh + " + i * " + dh + " - " + ph + ";\n"
                        + "            if (iy < 0 || iy >= " + h + ") continue;\n"
                        + "            float r = 0.0f;\n"
                        + "            for (int ox = 0; ox < " + ow + "; ox++) {\n"
                        + "                const int ix = ox * " + sw + " + j * " + dw + " - " + pw + ";\n"
                        + "                if (ix >= 0 && ix < " + w + ") r += gp[oy * " + ow + " + ox] * xp[iy * " + w + " + ix];\n"
                        + "            }\n            s += r;\n        }\n    }\n"
                        + "    G[" + wOff + " + gid] = (float) s;\n");
        ctx.back(k, "op" + k + "_gconv_dw", 0, (long) f * taps, null, x, dz, "G");
        if (c.bias()) {
            ctx.kernel("op" + k + "_gconv_db", "__global const float* dz, __global float* G", 0, f,
                    "    acc_t s = 0;\n"
                            + "    for (int b = 0; b < n; b++) {\n"
                            + "        const __global float* gp = dz + (b * " + f + " + gid) * " + (oh * ow) + ";\n"
                            + "        float r = 0.0f;\n"
                            + "        for (int q = 0; q < " + (oh * ow) + "; q++) r += gp[q];\n"
                            + "        s += r;\n    }\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_gconv_db", 0, f, null, dz, "G");
        }

        // dX[b][c][iy][ix]: the outputs of the group's filters whose taps read (iy, ix)
        ctx.kernel("op" + k + "_gconv_dx", "__global const float* dz, __global const float* P, __global float* dx", inPer, 0,
                "    const int b = gid / " + inPer + ", c = gid / " + (h * w) + " % " + cin + ", iy = gid / " + w + " % " + h + ", ix = gid % " + w + ";\n"
                        + "    const int g = c / " + cg + ", ch = c % " + cg + ";\n"
                        + "    float s = 0.0f;\n"
                        + "    for (int fi = g * " + fg + "; fi < (g + 1) * " + fg + "; fi++) {\n"
                        + "        const __global float* gp = dz + (b * " + f + " + fi) * " + (oh * ow) + ";\n"
                        + "        const __global float* wf = P + " + wOff + " + (fi * " + cg + " + ch) * " + (kh * kw) + ";\n"
                        + "        for (int i = 0; i < " + kh + "; i++) {\n"
                        + "            const int ty = iy + " + ph + " - i * " + dh + ";\n"
                        + "            if (ty < 0 || ty % " + sh + " != 0 || ty / " + sh + " >= " + oh + ") continue;\n"
                        + "            for (int j = 0; j < " + kw + "; j++) {\n"
                        + "                const int tx = ix + " + pw + " - j * " + dw + ";\n"
                        + "                if (tx >= 0 && tx % " + sw + " == 0 && tx / " + sw + " < " + ow + ") s += wf[i * " + kw + " + j] * gp[ty / " + sh + " * " + ow + " + tx / " + sw + "];\n"
                        + "            }\n        }\n    }\n"
                        + "    dx[gid] = s;\n");
        ctx.back(k, "op" + k + "_gconv_dx", inPer, 0, ctx.inputWhen(op.input()), dz, "P", ctx.slot(k, op.input()));
    }
}
