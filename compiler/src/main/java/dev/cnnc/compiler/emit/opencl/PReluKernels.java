package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** PReLU on the device (NCHW): element-wise forward and input gradient; one item per slope sums its gradient. */
final class PReluKernels implements ClOpEmitter<Op.PReluOp> {
    @Override
    public void emit(int k, Op.PReluOp op, ClEmitContext ctx) {
        var s = op.input().shape();
        long e = op.input().perExample();
        int slopes = op.prelu().slopes(s);
        long per = slopes == 1 ? e : e / slopes; // values a slope covers in one example
        int off = ctx.plan.params().of(op.name()).get("weight").offset();
        String slope = slopes == 1 ? "0" : "gid / " + per + " % " + slopes;
        String x = ClEmitContext.value(op.input()), dy = ClEmitContext.grad(op.output());
        ctx.kernel("op" + k + "_prelu_fwd", "__global const float* x, __global const float* P, __global float* y", e, 0,
                "    const float v = x[gid];\n    y[gid] = v > 0.0f ? v : P[" + off + " + " + slope + "] * v;\n");
        ctx.fwd(k, "op" + k + "_prelu_fwd", e, 0, null, x, "P", ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_prelu_dx", "__global const float* x, __global const float* dy, __global const float* P, __global float* dx", e, 0,
                "    dx[gid] = x[gid] > 0.0f ? dy[gid] : P[" + off + " + " + slope + "] * dy[gid];\n");
        ctx.back(k, "op" + k + "_prelu_dx", e, 0, ctx.inputWhen(op.input()), x, dy, "P", ctx.slot(k, op.input()));
        ctx.kernel("op" + k + "_prelu_da", "__global const float* x, __global const float* dy, __global float* G", 0, slopes,
                "    acc_t s = 0;\n"
                        + "    for (int b = 0; b < n; b++) for (int q = 0; q < " + per + "; q++) {\n"
                        + "        const int i = b * " + e + " + gid * " + per + " + q;\n"
                        + "        if (!(x[i] > 0.0f)) s += x[i] * dy[i];\n    }\n"
                        + "    G[" + off + " + gid] = (float) s;\n");
        ctx.back(k, "op" + k + "_prelu_da", 0, slopes, null, x, dy, "G");
    }
}
