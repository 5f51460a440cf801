package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** The join of a residual: forward a + b (or f(a + b), an activation fused); backward copies the gradient of the sum to both inputs' slots. */
final class AddKernels implements ClOpEmitter<Op.AddOp> {
    @Override
    public void emit(int k, Op.AddOp op, ClEmitContext ctx) {
        long e = op.output().perExample();
        ctx.kernel("op" + k + "_add_fwd", "__global const float* a, __global const float* b, __global float* y", e, 0,
                op.activation() == null ? "    y[gid] = a[gid] + b[gid];\n"
                        : "    const float v = a[gid] + b[gid];\n    y[gid] = " + ClActivation.apply(op.activation(), "v") + ";\n");
        ctx.fwd(k, "op" + k + "_add_fwd", e, 0, null, ClEmitContext.value(op.a()), ClEmitContext.value(op.b()), ClEmitContext.value(op.output()));
        if (op.activation() != null) {
            // the fused activation's derivative in place on the output's gradient (this op its only reader), before the copies
            ctx.kernel("op" + k + "_add_act_dx", "__global const float* y, __global float* dy", e, 0,
                    "    const float v = y[gid];\n    dy[gid] = dy[gid] * " + ClActivation.derivative(op.activation(), "v") + ";\n");
            ctx.back(k, "op" + k + "_add_act_dx", e, 0, null, ClEmitContext.value(op.output()), ClEmitContext.grad(op.output()));
        }
        ctx.back(k, "copy", e, 0, ctx.inputWhen(op.a()), ctx.slot(k, op.a(), 0), ClEmitContext.grad(op.output()), "count");
        ctx.back(k, "copy", e, 0, ctx.inputWhen(op.b()), ctx.slot(k, op.b(), 1), ClEmitContext.grad(op.output()), "count");
    }
}
