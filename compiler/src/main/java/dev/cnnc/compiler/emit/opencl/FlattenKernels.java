package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** Flatten. */
final class FlattenKernels implements ClOpEmitter<Op.FlattenOp> {
    @Override
    public void emit(int k, Op.FlattenOp op, ClEmitContext ctx) {
        // NCHW is already the flattened order: a copy each way.
        ctx.fwd(k, "copy", op.output().perExample(), 0, null, ClEmitContext.value(op.output()), ClEmitContext.value(op.input()), "count");
        ctx.back(k, "copy", op.input().perExample(), 0, ctx.inputWhen(op.input()), ctx.slot(k, op.input()), ClEmitContext.grad(op.output()), "count");
    }
}
