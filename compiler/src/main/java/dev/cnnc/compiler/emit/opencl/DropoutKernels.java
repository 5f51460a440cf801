package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/** Inverted dropout with the Java backend's generator stream, drawn by counter. */
final class DropoutKernels implements ClOpEmitter<Op.DropoutOp> {
    @Override
    public void emit(int k, Op.DropoutOp op, ClEmitContext ctx) {
        Shape s = op.input().shape();
        long e = op.input().perExample();
        int c = (int) (s.flat() ? 1 : s.channels());
        long hw = s.flat() ? e : s.height() * s.width();
        String mask = "M" + op.index();
        ctx.out.buffer(mask, e, 0, false);
        // The Java backend draws mask values in its own layout ([C][n][H][W] for images); index them the same way
        // so both backends drop the same values for the same seed.
        String internal = s.flat() ? "gid" : "((gid / " + hw + " % " + c + ") * n + gid / " + e + ") * " + hw + " + gid % " + hw;
        ctx.kernel("op" + k + "_dropout_fwd", "__global const float* x, __global float* y, __global float* mask, const ulong seed, const ulong threshold", e, 0,
                "    const int m = " + internal + ";\n"
                        // stochastic depth draws once per example: the example's index is the counter
                        + "    ulong z = seed + (ulong) (" + (op.dropout().perExample() ? "gid / " + e : "m") + " + 1) * 0x9E3779B97F4A7C15UL;\n"
                        + "    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;\n"
                        + "    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;\n"
                        + "    z = z ^ (z >> 31);\n"
                        + "    const float keep = (z >> 11) < threshold ? 0.0f : " + ClActivation.f(1.0 / (1.0 - op.dropout().probability())) + ";\n"
                        + "    mask[m] = keep;\n    y[gid] = x[gid] * keep;\n");
        ctx.fwd(k, "op" + k + "_dropout_fwd", e, 0, "training", ClEmitContext.value(op.input()), ClEmitContext.value(op.output()), mask, "seed:" + op.index(), "threshold:" + op.index());
        ctx.fwd(k, "copy", e, 0, "inference", ClEmitContext.value(op.output()), ClEmitContext.value(op.input()), "count");
        ctx.kernel("op" + k + "_dropout_dx", "__global const float* dy, __global const float* mask, __global float* dx", e, 0,
                "    dx[gid] = dy[gid] * mask[" + internal + "];\n");
        ctx.back(k, "op" + k + "_dropout_dx", e, 0, ctx.inputWhen(op.input()), ClEmitContext.grad(op.output()), mask, ctx.slot(k, op.input()));
    }
}
