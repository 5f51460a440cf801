package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** An activation on its own: elementwise forward, and the derivative from the output backward. */
final class ActivationKernels implements ClOpEmitter<Op.ActivationOp> {
    @Override
    public void emit(int k, Op.ActivationOp op, ClEmitContext ctx) {
        long e = op.output().perExample();
        ctx.kernel("op" + k + "_act_fwd", "__global const float* x, __global float* y", e, 0,
                "    const float v = x[gid];\n    y[gid] = " + ClActivation.apply(op.activation(), "v") + ";\n");
        ctx.fwd(k, "op" + k + "_act_fwd", e, 0, null, ClEmitContext.value(op.input()), ClEmitContext.value(op.output()));
        boolean fromOutput = op.activation().function().fromOutput();
        ctx.kernel("op" + k + "_act_dx", "__global const float* y, __global const float* dy, __global float* dx", e, 0,
                "    const float v = y[gid];\n    dx[gid] = dy[gid] * " + (fromOutput ? ClActivation.derivative(op.activation(), "v")
                        : ClActivation.inputDerivative(op.activation(), "v")) + ";\n");
        // silu and hardswish read their input (the kernel's y is then the op's input)
        ctx.back(k, "op" + k + "_act_dx", e, 0, ctx.inputWhen(op.input()), ClEmitContext.value(fromOutput ? op.output() : op.input()),
                ClEmitContext.grad(op.output()), ctx.slot(k, op.input()));
    }
}
