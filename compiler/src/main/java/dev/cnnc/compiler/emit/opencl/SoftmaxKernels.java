package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** Softmax per row; the model's last one is left out of training (folded into cross-entropy). */
final class SoftmaxKernels implements ClOpEmitter<Op.SoftmaxOp> {
    @Override
    public void emit(int k, Op.SoftmaxOp op, ClEmitContext ctx) {
        int width = (int) op.output().perExample();
        ctx.kernel("op" + k + "_softmax_fwd", "__global const float* x, __global float* y", 1, 0,
                "    const __global float* r = x + gid * " + width + ";\n    __global float* o = y + gid * " + width + ";\n"
                        + "    float mx = -INFINITY;\n    for (int i = 0; i < " + width + "; i++) mx = fmax(mx, r[i]);\n"
                        + "    acc_t sum = 0;\n    for (int i = 0; i < " + width + "; i++) { const float e = exp(r[i] - mx); o[i] = e; sum += e; }\n"
                        + "    const float inv = (float) (1 / sum);\n    for (int i = 0; i < " + width + "; i++) o[i] *= inv;\n");
        if (op.last()) {
            // Training leaves the last softmax out: the loss takes logits (softmax folded into cross-entropy).
            ctx.fwd(k, "copy", width, 0, "training", ClEmitContext.value(op.output()), ClEmitContext.value(op.input()), "count");
            ctx.fwd(k, "op" + k + "_softmax_fwd", 1, 0, "inference", ClEmitContext.value(op.input()), ClEmitContext.value(op.output()));
            ctx.back(k, "copy", width, 0, ctx.inputWhen(op.input()), ctx.slot(k, op.input()), ClEmitContext.grad(op.output()), "count");
            return;
        }
        ctx.fwd(k, "op" + k + "_softmax_fwd", 1, 0, null, ClEmitContext.value(op.input()), ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_softmax_dx", "__global const float* y, __global const float* dy, __global float* dx", 1, 0,
                "    const int o = gid * " + width + ";\n    acc_t dot = 0;\n"
                        + "    for (int i = 0; i < " + width + "; i++) dot += dy[o + i] * y[o + i];\n"
                        + "    for (int i = 0; i < " + width + "; i++) dx[o + i] = (float) (y[o + i] * (dy[o + i] - dot));\n");
        ctx.back(k, "op" + k + "_softmax_dx", 1, 0, ctx.inputWhen(op.input()), ClEmitContext.value(op.output()), ClEmitContext.grad(op.output()), ctx.slot(k, op.input()));
    }
}
