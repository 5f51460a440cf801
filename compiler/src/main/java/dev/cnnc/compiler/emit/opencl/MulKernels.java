package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/**
 * A multiply join of two paths on the device: y = a * b, b of a's shape or a 1x1xC gate ([n][C])
 * over a's NCHW planes; the gate's gradient sums dy * a over its plane, one item per gate value.
 */
final class MulKernels implements ClOpEmitter<Op.MulOp> {
    @Override
    public void emit(int k, Op.MulOp op, ClEmitContext ctx) {
        long e = op.output().perExample();
        String a = ClEmitContext.value(op.a()), b = ClEmitContext.value(op.b()), dy = ClEmitContext.grad(op.output());
        long plane = op.broadcast() ? op.a().shape().height() * op.a().shape().width() : 1;
        String g = op.broadcast() ? "b[gid / " + plane + "]" : "b[gid]";
        ctx.kernel("op" + k + "_mul_fwd", "__global const float* a, __global const float* b, __global float* y", e, 0,
                "    y[gid] = a[gid] * " + g + ";\n");
        ctx.fwd(k, "op" + k + "_mul_fwd", e, 0, null, a, b, ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_mul_da", "__global const float* dy, __global const float* b, __global float* da", e, 0,
                "    da[gid] = dy[gid] * " + g + ";\n");
        ctx.back(k, "op" + k + "_mul_da", e, 0, ctx.inputWhen(op.a()), dy, b, ctx.slot(k, op.a(), 0));
        if (!op.broadcast()) {
            ctx.kernel("op" + k + "_mul_db", "__global const float* dy, __global const float* a, __global float* db", e, 0,
                    "    db[gid] = dy[gid] * a[gid];\n");
            ctx.back(k, "op" + k + "_mul_db", e, 0, ctx.inputWhen(op.b()), dy, a, ctx.slot(k, op.b(), 1));
            return;
        }
        long gates = op.b().perExample();
        ctx.kernel("op" + k + "_mul_dgate", "__global const float* dy, __global const float* a, __global float* dg", gates, 0,
                "    float s = 0.0f;\n"
                        + "    for (int i = 0; i < " + plane + "; i++) s += dy[gid * " + plane + " + i] * a[gid * " + plane + " + i];\n"
                        + "    dg[gid] = s;\n");
        ctx.back(k, "op" + k + "_mul_dgate", gates, 0, ctx.inputWhen(op.b()), dy, a, ctx.slot(k, op.b(), 1));
    }
}
