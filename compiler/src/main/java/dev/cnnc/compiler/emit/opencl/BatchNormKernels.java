package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/** Batch normalization: per-channel statistics (double where the device has it), running statistics as PyTorch updates them. */
final class BatchNormKernels implements ClOpEmitter<Op.BatchNormOp> {
    @Override
    public void emit(int k, Op.BatchNormOp op, ClEmitContext ctx) {
        Shape s = op.input().shape();
        int c = (int) (s.flat() ? s.elements() : s.channels());
        int hw = (int) (s.flat() ? 1 : s.height() * s.width());
        long e = op.input().perExample();
        var entries = ctx.plan.params().of(op.name());
        int gOff = entries.get("weight").offset(), bOff = entries.get("bias").offset();
        int mOff = entries.get("running_mean").offset(), vOff = entries.get("running_var").offset();
        String momentum = ClActivation.f(op.norm().momentum()), eps = ClActivation.f(op.norm().eps());
        String saved = "BN" + k, sums = "BNB" + k;
        ctx.out.buffer(saved, 0, 4L * c, false); // 2c values of acc_t (double where the device has it)
        ctx.out.buffer(sums, 0, 4L * c, false);
        String idx = "const int q = b * " + (c * hw) + " + ch * " + hw + " + s;";
        ctx.kernel("op" + k + "_bn_stats", "__global const float* x, __global acc_t* saved, __global float* S", 0, c,
                "    const int ch = gid;\n    acc_t sum = 0, sq = 0;\n"
                        + "    for (int b = 0; b < n; b++) for (int s = 0; s < " + hw + "; s++) { " + idx + " sum += x[q]; }\n"
                        + "    const int count = n * " + hw + ";\n    const acc_t mean = sum / count;\n"
                        + "    for (int b = 0; b < n; b++) for (int s = 0; s < " + hw + "; s++) { " + idx + " const acc_t d = x[q] - mean; sq += d * d; }\n"
                        + "    const acc_t var = sq / count;\n"
                        + "    saved[ch] = mean;\n    saved[" + c + " + ch] = 1 / sqrt(var + (acc_t) " + eps + ");\n"
                        + "    const acc_t unbiased = count > 1 ? sq / (count - 1) : var;\n"
                        + "    const acc_t m = (acc_t) " + momentum + ";\n"
                        + "    S[" + mOff + " + ch] = (float) ((1 - m) * S[" + mOff + " + ch] + m * mean);\n"
                        + "    S[" + vOff + " + ch] = (float) ((1 - m) * S[" + vOff + " + ch] + m * unbiased);\n");
        String chOf = "    const int ch = gid / " + hw + " % " + c + ";\n";
        ctx.kernel("op" + k + "_bn_train", "__global const float* x, __global const acc_t* saved, __global const float* P, __global float* y", e, 0,
                chOf + "    const float v = (float) ((x[gid] - saved[ch]) * saved[" + c + " + ch] * P[" + gOff + " + ch] + P[" + bOff + " + ch]);\n"
                        + "    y[gid] = " + ClActivation.apply(op.activation(), "v") + ";\n");
        ctx.kernel("op" + k + "_bn_infer", "__global const float* x, __global const float* S, __global const float* P, __global float* y", e, 0,
                chOf + "    const float scale = (float) (P[" + gOff + " + ch] / sqrt((acc_t) S[" + vOff + " + ch] + (acc_t) " + eps + "));\n"
                        + "    const float shift = P[" + bOff + " + ch] - S[" + mOff + " + ch] * scale;\n"
                        + "    const float v = x[gid] * scale + shift;\n"
                        + "    y[gid] = " + ClActivation.apply(op.activation(), "v") + ";\n");
        ctx.fwd(k, "op" + k + "_bn_stats", 0, c, "training", ClEmitContext.value(op.input()), saved, "S");
        ctx.fwd(k, "op" + k + "_bn_train", e, 0, "training", ClEmitContext.value(op.input()), saved, "P", ClEmitContext.value(op.output()));
        ctx.fwd(k, "op" + k + "_bn_infer", e, 0, "inference", ClEmitContext.value(op.input()), "S", "P", ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_bn_dstats", "__global const float* x, __global const float* dy, __global const acc_t* saved, __global acc_t* sums, __global float* G", 0, c,
                "    const int ch = gid;\n    acc_t sdy = 0, sdx = 0;\n"
                        + "    const acc_t mean = saved[ch], inv = saved[" + c + " + ch];\n"
                        + "    for (int b = 0; b < n; b++) for (int s = 0; s < " + hw + "; s++) { " + idx
                        + " sdy += dy[q]; sdx += dy[q] * (x[q] - mean) * inv; }\n"
                        + "    G[" + gOff + " + ch] = (float) sdx;\n    G[" + bOff + " + ch] = (float) sdy;\n"
                        + "    sums[ch] = sdy / (n * " + hw + ");\n    sums[" + c + " + ch] = sdx / (n * " + hw + ");\n");
        ctx.kernel("op" + k + "_bn_dx", "__global const float* x, __global const float* dy, __global const acc_t* saved, __global const acc_t* sums, __global const float* P, __global float* dx", e, 0,
                chOf + "    const acc_t inv = saved[" + c + " + ch];\n"
                        + "    const acc_t xhat = (x[gid] - saved[ch]) * inv;\n"
                        + "    dx[gid] = (float) (P[" + gOff + " + ch] * inv * (dy[gid] - sums[ch] - xhat * sums[" + c + " + ch]));\n");
        // behind a fused relu or relu6, the batchnorm's own output gradient is dy times the clamp's derivative
        String dy = ClEmitContext.grad(op.output());
        if (op.activation() != null) {
            dy = "BNDZ" + k;
            ctx.out.buffer(dy, e, 0, false);
            ctx.kernel("op" + k + "_bn_act_dz", "__global const float* y, __global const float* dy, __global float* dz", e, 0,
                    "    const float v = y[gid];\n    dz[gid] = dy[gid] * " + ClActivation.derivative(op.activation(), "v") + ";\n");
            ctx.back(k, "op" + k + "_bn_act_dz", e, 0, null, ClEmitContext.value(op.output()), ClEmitContext.grad(op.output()), dy);
        }
        ctx.back(k, "op" + k + "_bn_dstats", 0, c, null, ClEmitContext.value(op.input()), dy, saved, sums, "G");
        ctx.back(k, "op" + k + "_bn_dx", e, 0, ctx.inputWhen(op.input()), ClEmitContext.value(op.input()), dy, saved, sums, "P", ctx.slot(k, op.input()));
    }
}
