package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** The join of a residual: forward a + b; backward copies the gradient to both inputs' slots. */
final class AddKernels implements ClOpEmitter<Op.AddOp> {
    @Override
    public void emit(int k, Op.AddOp op, ClEmitContext ctx) {
        long e = op.output().perExample();
        ctx.kernel("op" + k + "_add_fwd", "__global const float* a, __global const float* b, __global float* y", e, 0,
                "    y[gid] = a[gid] + b[gid];\n");
        ctx.fwd(k, "op" + k + "_add_fwd", e, 0, null, ClEmitContext.value(op.a()), ClEmitContext.value(op.b()), ClEmitContext.value(op.output()));
        ctx.back(k, "copy", e, 0, ctx.inputWhen(op.a()), ctx.slot(k, op.a(), 0), ClEmitContext.grad(op.output()), "count");
        ctx.back(k, "copy", e, 0, ctx.inputWhen(op.b()), ctx.slot(k, op.b(), 1), ClEmitContext.grad(op.output()), "count");
    }
}
