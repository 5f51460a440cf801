package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.Tensor;

/**
 * A concat join on the device, where tensors are NCHW (or [n][F]): each example's part is one
 * run of the joined example, so part p of S values per example lands at example * P + offset.
 */
final class ConcatKernels implements ClOpEmitter<Op.ConcatOp> {
    @Override
    public void emit(int k, Op.ConcatOp op, ClEmitContext ctx) {
        long per = op.output().perExample();
        long offset = 0;
        for (int p = 0; p < op.parts().size(); p++) {
            Tensor part = op.parts().get(p);
            long size = part.perExample();
            String at = "(gid / " + size + ") * " + per + " + " + offset + " + gid % " + size;
            ctx.kernel("op" + k + "_cat" + p + "_fwd", "__global const float* x, __global float* y", size, 0, "    y[" + at + "] = x[gid];\n");
            ctx.fwd(k, "op" + k + "_cat" + p + "_fwd", size, 0, null, ClEmitContext.value(part), ClEmitContext.value(op.output()));
            ctx.kernel("op" + k + "_cat" + p + "_dx", "__global const float* dy, __global float* dx", size, 0, "    dx[gid] = dy[" + at + "];\n");
            ctx.back(k, "op" + k + "_cat" + p + "_dx", size, 0, ctx.inputWhen(part), ClEmitContext.grad(op.output()), ctx.slot(k, part, p));
            offset += size;
        }
    }
}
