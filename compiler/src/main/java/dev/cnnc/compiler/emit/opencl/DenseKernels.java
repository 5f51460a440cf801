package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

final class DenseKernels implements ClOpEmitter<Op.DenseOp> {
    /**
     * Dense layers as register-tiled products ({@link ClGemm}): forward W x x^T, weight gradient
     * dZ^T x x, input gradient dZ x W; only the forward needs its input transposed.
     */
    @Override
    public void emit(int k, Op.DenseOp op, ClEmitContext ctx) {
        int in = (int) op.input().perExample();
        int units = (int) op.output().perExample();
        var entries = ctx.plan.params().of(op.name());
        int wOff = entries.get("weight").offset();
        boolean hasBias = entries.containsKey("bias");
        String x = ClEmitContext.value(op.input()), y = ClEmitContext.value(op.output()), dy = ClEmitContext.grad(op.output()), dz = "DZ" + k;
        ctx.out.buffer(dz, units, 0, false);
        // y^T = W x x^T: the batch becomes the product's columns (adjacent after a transpose), the
        // units its rows; bias and activation are applied as y is stored back in [n][units].
        String xt = "XT" + k;
        ctx.out.buffer(xt, in, 0, false);
        ctx.transpose(true, k, "op" + k + "_transpose", x, xt, ClPlan.Extent.BATCH, ClPlan.Extent.of(in), ClPlan.Extent.of(1), null);
        new ClGemm("op" + k + "_dense_fwd", ClPlan.Extent.of(units), ClPlan.Extent.BATCH, ClPlan.Extent.of(in), ClPlan.Extent.of(1), false,
                new ClGemm.Operand("P", wOff, Integer.toString(in), "1", "0"),
                new ClGemm.Operand(xt, 0, "n", "1", "0"),
                new ClGemm.Operand(y, 0, "1", Integer.toString(units), "0"),
                hasBias ? Integer.toString(entries.get("bias").offset()) : null, op.activation())
                .launch(ctx, true, k, null);
        ctx.kernel("op" + k + "_dense_dz", "__global const float* y, __global const float* dy, __global float* dz", units, 0,
                "    const float v = y[gid];\n    dz[gid] = dy[gid] * " + ClActivation.derivative(op.activation(), "v") + ";\n");
        ctx.back(k, "op" + k + "_dense_dz", units, 0, null, y, dy, dz);
        new ClGemm("op" + k + "_dense_dw", ClPlan.Extent.of(units), ClPlan.Extent.of(in), ClPlan.Extent.BATCH, ClPlan.Extent.of(1), false,
                new ClGemm.Operand(dz, 0, "1", Integer.toString(units), "0"),
                new ClGemm.Operand(x, 0, Integer.toString(in), "1", "0"),
                new ClGemm.Operand("G", wOff, Integer.toString(in), "1", "0"), null, null)
                .launch(ctx, false, k, null);
        if (hasBias) {
            ctx.kernel("op" + k + "_dense_db", "__global const float* dz, __global float* G", 0, units,
                    "    acc_t s = 0;\n    for (int b = 0; b < n; b++) s += dz[b * " + units + " + gid];\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_dense_db", 0, units, null, dz, "G");
        }
        new ClGemm("op" + k + "_dense_dx", ClPlan.Extent.BATCH, ClPlan.Extent.of(in), ClPlan.Extent.of(units), ClPlan.Extent.of(1), false,
                new ClGemm.Operand(dz, 0, Integer.toString(units), "1", "0"),
                new ClGemm.Operand("P", wOff, Integer.toString(in), "1", "0"),
                new ClGemm.Operand(ctx.slot(k, op.input()), 0, Integer.toString(in), "1", "0"), null, null)
                .launch(ctx, false, k, ctx.inputWhen(op.input()));
    }
}
