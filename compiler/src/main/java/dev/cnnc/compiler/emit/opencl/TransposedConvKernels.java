package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.ConvTranspose;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/**
 * A transposed conv on the device (NCHW), as gathers: forward one item per output value summing
 * the inputs whose windows reach it; the input gradient one item per input value (a plain conv of
 * the output gradient); one item per weight and per bias summing over the batch. No atomics.
 */
final class TransposedConvKernels implements ClOpEmitter<Op.TransposedConvOp> {
    @Override
    public void emit(int k, Op.TransposedConvOp op, ClEmitContext ctx) {
        ConvTranspose t = op.conv();
        Shape in = op.input().shape(), out = op.output().shape();
        int c = (int) in.channels(), h = (int) in.height(), w = (int) in.width();
        int f = t.filters(), kh = t.kernelHeight(), kw = t.kernelWidth(), sh = t.strideHeight(), sw = t.strideWidth();
        int dh = t.dilationHeight(), dw = t.dilationWidth(), ph = t.padHeight(), pw = t.padWidth();
        int oh = (int) out.height(), ow = (int) out.width();
        int cg = c / t.groups(), fg = f / t.groups();
        var entries = ctx.plan.params().of(op.name());
        int wOff = entries.get("weight").offset();
        long outPer = (long) f * oh * ow, inPer = (long) c * h * w;
        String x = ClEmitContext.value(op.input()), y = ClEmitContext.value(op.output()), dy = ClEmitContext.grad(op.output());
        String bias = t.bias() ? "P[" + entries.get("bias").offset() + " + fi]" : "0.0f";
        // output (oy, ox) of filter fi gathers input (iy, ix) of channel ch through tap (i, j) when oy = iy*S - P + i*D
        ctx.kernel("op" + k + "_tconv_fwd", "__global const float* x, __global const float* P, __global float* y", outPer, 0,
                "    const int b = gid / " + outPer + ", fi = gid / " + (oh * ow) + " % " + f + ", oy = gid / " + ow + " % " + oh + ", ox = gid % " + ow + ";\n"
                        + "    const int g = fi / " + fg + ", fo = fi % " + fg + ";\n"
                        + "    float s = " + bias + ";\n"
                        + "    for (int ch = g * " + cg + "; ch < (g + 1) * " + cg + "; ch++) {\n"
                        + "        const __global float* xp = x + (b * " + c + " + ch) * " + (h * w) + ";\n"
                        + "        const __global float* wp = P + " + wOff + " + (ch * " + fg + " + fo) * " + (kh * kw) + ";\n"
                        + "        for (int i = 0; i < " + kh + "; i++) {\n"
                        + "            const int ty = oy + " + ph + " - i * " + dh + ";\n"
                        + "            if (ty < 0 || ty % " + sh + " != 0 || ty / " + sh + " >= " + h + ") continue;\n"
                        + "            for (int j = 0; j < " + kw + "; j++) {\n"
                        + "                const int tx = ox + " + pw + " - j * " + dw + ";\n"
                        + "                if (tx >= 0 && tx % " + sw + " == 0 && tx / " + sw + " < " + w + ") s += wp[i * " + kw + " + j] * xp[ty / " + sh + " * " + w + " + tx / " + sw + "];\n"
                        + "            }\n        }\n    }\n"
                        + "    y[gid] = s;\n");
        ctx.fwd(k, "op" + k + "_tconv_fwd", outPer, 0, null, x, "P", y);

        ctx.kernel("op" + k + "_tconv_dw", "__global const float* x, __global const float* dy, __global float* G", 0, (long) c * fg * kh * kw,
                "    const int ch = gid / " + (fg * kh * kw) + ", fo = gid / " + (kh * kw) + " % " + fg + ", i = gid / " + kw + " % " + kh + ", j = gid % " + kw + ";\n"
                        + "    const int fi = ch / " + cg + " * " + fg + " + fo;\n"
                        + "    acc_t s = 0;\n"
                        + "    for (int b = 0; b < n; b++) {\n"
                        + "        const __global float* xp = x + (b * " + c + " + ch) * " + (h * w) + ";\n"
                        + "        const __global float* gp = dy + (b * " + f + " + fi) * " + (oh * ow) + ";\n"
                        + "        for (int iy = 0; iy < " + h + "; iy++) {\n"
                        + "            const int oy = iy * " + sh + " - " + ph + " + i * " + dh + ";\n"
                        + "            if (oy < 0 || oy >= " + oh + ") continue;\n"
                        + "            float r = 0.0f;\n"
                        + "            for (int ix = 0; ix < " + w + "; ix++) {\n"
                        + "                const int ox = ix * " + sw + " - " + pw + " + j * " + dw + ";\n"
                        + "                if (ox >= 0 && ox < " + ow + ") r += xp[iy * " + w + " + ix] * gp[oy * " + ow + " + ox];\n"
                        + "            }\n            s += r;\n        }\n    }\n"
                        + "    G[" + wOff + " + gid] = (float) s;\n");
        ctx.back(k, "op" + k + "_tconv_dw", 0, (long) c * fg * kh * kw, null, x, dy, "G");
        if (t.bias()) {
            ctx.kernel("op" + k + "_tconv_db", "__global const float* dy, __global float* G", 0, f,
                    "    acc_t s = 0;\n"
                            + "    for (int b = 0; b < n; b++) {\n"
                            + "        const __global float* gp = dy + (b * " + f + " + gid) * " + (oh * ow) + ";\n"
                            + "        float r = 0.0f;\n"
                            + "        for (int q = 0; q < " + (oh * ow) + "; q++) r += gp[q];\n"
                            + "        s += r;\n    }\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_tconv_db", 0, f, null, dy, "G");
        }
        ctx.kernel("op" + k + "_tconv_dx", "__global const float* dy, __global const float* P, __global float* dx", inPer, 0,
                "    const int b = gid / " + inPer + ", ch = gid / " + (h * w) + " % " + c + ", iy = gid / " + w + " % " + h + ", ix = gid % " + w + ";\n"
                        + "    const int g = ch / " + cg + ";\n"
                        + "    float s = 0.0f;\n"
                        + "    for (int fo = 0; fo < " + fg + "; fo++) {\n"
                        + "        const __global float* gp = dy + (b * " + f + " + g * " + fg + " + fo) * " + (oh * ow) + ";\n"
                        + "        const __global float* wp = P + " + wOff + " + (ch * " + fg + " + fo) * " + (kh * kw) + ";\n"
                        + "        for (int i = 0; i < " + kh + "; i++) {\n"
                        + "            const int oy = iy * " + sh + " - " + ph + " + i * " + dh + ";\n"
                        + "            if (oy < 0 || oy >= " + oh + ") continue;\n"
                        + "            for (int j = 0; j < " + kw + "; j++) {\n"
                        + "                const int ox = ix * " + sw + " - " + pw + " + j * " + dw + ";\n"
                        + "                if (ox >= 0 && ox < " + ow + ") s += wp[i * " + kw + " + j] * gp[oy * " + ow + " + ox];\n"
                        + "            }\n        }\n    }\n"
                        + "    dx[gid] = s;\n");
        ctx.back(k, "op" + k + "_tconv_dx", inPer, 0, ctx.inputWhen(op.input()), dy, "P", ctx.slot(k, op.input()));
    }
}
