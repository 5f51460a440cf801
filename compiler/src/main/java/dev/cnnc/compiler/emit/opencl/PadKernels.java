package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/** Zero padding on the device (n*C planes): one item per padded value forward, one per input value backward (the crop). */
final class PadKernels implements ClOpEmitter<Op.PadOp> {
    @Override
    public void emit(int k, Op.PadOp op, ClEmitContext ctx) {
        Shape s = op.input().shape(), o = op.output().shape();
        int h = (int) s.height(), w = (int) s.width(), oh = (int) o.height(), ow = (int) o.width();
        long c = s.channels();
        String fwd = "    const int p = gid / " + (oh * ow) + ", iy = gid / " + ow + " % " + oh + " - " + op.top()
                + ", ix = gid % " + ow + " - " + op.left() + ";\n"
                + "    y[gid] = iy >= 0 && iy < " + h + " && ix >= 0 && ix < " + w + " ? x[(p * " + h + " + iy) * " + w + " + ix] : 0.0f;\n";
        String bwd = "    const int p = gid / " + (h * w) + ", iy = gid / " + w + " % " + h + ", ix = gid % " + w + ";\n"
                + "    dx[gid] = dy[(p * " + oh + " + iy + " + op.top() + ") * " + ow + " + ix + " + op.left() + "];\n";
        ctx.kernel("op" + k + "_pad_fwd", "__global const float* x, __global float* y", c * oh * ow, 0, fwd);
        ctx.fwd(k, "op" + k + "_pad_fwd", c * oh * ow, 0, null, ClEmitContext.value(op.input()), ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_pad_dx", "__global const float* dy, __global float* dx", c * h * w, 0, bwd);
        ctx.back(k, "op" + k + "_pad_dx", c * h * w, 0, ctx.inputWhen(op.input()), ClEmitContext.grad(op.output()), ctx.slot(k, op.input()));
    }
}
