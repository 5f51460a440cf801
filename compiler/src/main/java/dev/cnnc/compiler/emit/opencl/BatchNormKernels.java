package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/**
 * Batch normalization: per-channel statistics as parallel partial sums (in acc_t: double where the
 * device has it), running statistics as PyTorch updates them.
 */
final class BatchNormKernels implements ClOpEmitter<Op.BatchNormOp> {
    /**
     * Partial sums a channel's statistics are split into: c x PARTS items share the reduction
     * over n x H x W (one item a channel left a GPU nearly idle: 64 items for a ResNet block).
     */
    static final int PARTS = 64;

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
        String saved = "BN" + k, sums = "BNB" + k, parts = "BNR" + k;
        // in floats: room for acc_t (double where the device has it) mean and 1/sqrt(var + eps) per channel, and partial sums
        ctx.out.buffer(saved, 0, 4L * c, false);
        ctx.out.buffer(sums, 0, 4L * c, false);
        ctx.out.buffer(parts, 0, 4L * c * PARTS, false);
        long count = (long) c * PARTS;
        String xq = "x[q]";
        // statistics in four launches of c x PARTS or c items: sums, mean, squared deviations, variance (two passes, as stable as the serial form)
        partialSums(ctx, "op" + k + "_bn_psum", "__global const float* x", c, hw, new String[] {xq}, "");
        ctx.kernel("op" + k + "_bn_mean", "__global const acc_t* parts, __global acc_t* saved", 0, c,
                "    saved[gid] = " + finalSum("parts", 0) + " / (n * " + hw + ");\n");
        partialSums(ctx, "op" + k + "_bn_psq", "__global const float* x, __global const acc_t* saved", c, hw,
                new String[] {"(x[q] - mean) * (x[q] - mean)"}, "    const acc_t mean = saved[ch];\n");
        ctx.kernel("op" + k + "_bn_var", "__global const acc_t* parts, __global acc_t* saved, __global float* S", 0, c,
                "    const int ch = gid;\n    const int count = n * " + hw + ";\n"
                        + "    const acc_t sq = " + finalSum("parts", 0) + ";\n"
                        + "    const acc_t var = sq / count;\n"
                        + "    saved[" + c + " + ch] = 1 / sqrt(var + (acc_t) " + eps + ");\n"
                        + "    const acc_t unbiased = count > 1 ? sq / (count - 1) : var;\n"
                        + "    const acc_t m = (acc_t) " + momentum + ";\n"
                        + "    S[" + mOff + " + ch] = (float) ((1 - m) * S[" + mOff + " + ch] + m * saved[ch]);\n"
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
        ctx.fwd(k, "op" + k + "_bn_psum", 0, count, "training", ClEmitContext.value(op.input()), parts);
        ctx.fwd(k, "op" + k + "_bn_mean", 0, c, "training", parts, saved);
        ctx.fwd(k, "op" + k + "_bn_psq", 0, count, "training", ClEmitContext.value(op.input()), saved, parts);
        ctx.fwd(k, "op" + k + "_bn_var", 0, c, "training", parts, saved, "S");
        ctx.fwd(k, "op" + k + "_bn_train", e, 0, "training", ClEmitContext.value(op.input()), saved, "P", ClEmitContext.value(op.output()));
        ctx.fwd(k, "op" + k + "_bn_infer", e, 0, "inference", ClEmitContext.value(op.input()), "S", "P", ClEmitContext.value(op.output()));
        partialSums(ctx, "op" + k + "_bn_pdstats", "__global const float* x, __global const float* dy, __global const acc_t* saved", c, hw,
                new String[] {"dy[q]", "dy[q] * (x[q] - mean) * inv"}, "    const acc_t mean = saved[ch], inv = saved[" + c + " + ch];\n");
        ctx.kernel("op" + k + "_bn_dstats", "__global const acc_t* parts, __global acc_t* sums, __global float* G", 0, c,
                "    const int ch = gid;\n"
                        + "    const acc_t sdy = " + finalSum("parts", 0) + ", sdx = " + finalSum("parts", c) + ";\n"
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
        ctx.back(k, "op" + k + "_bn_pdstats", 0, count, null, ClEmitContext.value(op.input()), dy, saved, parts);
        ctx.back(k, "op" + k + "_bn_dstats", 0, c, null, parts, sums, "G");
        ctx.back(k, "op" + k + "_bn_dx", e, 0, ctx.inputWhen(op.input()), ClEmitContext.value(op.input()), dy, saved, sums, "P", ctx.slot(k, op.input()));
    }

    /**
     * Partial sums for a reduction per channel over the batch and the plane: item (ch, r) of
     * c x {@link #PARTS} sums the elements r, r + PARTS, ... of the channel's n x hw (neighbouring
     * items read neighbouring floats), one float array of c x PARTS per expression, laid one after
     * the other in {@code parts}, in acc_t; the same order on every device. A final pass over the
     * PARTS values of each channel follows.
     */
    private static void partialSums(ClEmitContext ctx, String name, String inputs, int c, int hw, String[] terms, String prelude) {
        StringBuilder body = new StringBuilder("    const int ch = gid / " + PARTS + ", r = gid - ch * " + PARTS + ";\n" + prelude);
        for (int t = 0; t < terms.length; t++) {
            body.append("    acc_t s").append(t).append(" = 0;\n");
        }
        body.append("    for (int i = r; i < n * ").append(hw).append("; i += ").append(PARTS).append(") {\n")
                .append("        const int b = i / ").append(hw).append(";\n")
                .append("        const int q = b * ").append((long) c * hw).append(" + ch * ").append(hw).append(" + i - b * ").append(hw).append(";\n");
        for (int t = 0; t < terms.length; t++) {
            body.append("        s").append(t).append(" += ").append(terms[t]).append(";\n");
        }
        body.append("    }\n");
        for (int t = 0; t < terms.length; t++) {
            body.append("    parts[").append(t == 0 ? "" : (long) t * c * PARTS + " + ").append("gid] = s").append(t).append(";\n");
        }
        ctx.kernel(name, inputs + ", __global acc_t* parts", 0, (long) c * PARTS, body.toString());
    }

    /** The sum, in order, of the PARTS partial sums of channel ch, from the array at offset {@code at} channels' worth into {@code parts}. */
    private static String finalSum(String parts, int at) {
        return "sumParts(" + parts + " + " + (long) at * PARTS + " + gid * " + PARTS + ")";
    }
}
