package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

final class DenseKernels implements ClOpEmitter<Op.DenseOp> {
    /**
     * Dense layers with the batch in dimension 1: the forward's items each take one unit for a
     * tile of examples, whose inputs the group stages in local memory and every item reads in
     * the device's preferred float vectors; the backward's items one input feature (so weights
     * and inputs are read contiguously across neighbouring items).
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
        int tb = 8;
        int kt = Math.min(in, ClEmitContext.LOCAL_TILE_BYTES / 4 / tb);
        String bias = hasBias ? "P[" + entries.get("bias").offset() + " + o]" : "0.0f";
        ctx.kernelTiled("op" + k + "_dense_fwd", "__global const float* x, __global const float* P, __global float* y", 0, units,
                "    const int o = live ? gid : 0, b0 = row * " + tb + ";\n"
                        + "    const __global float* wo = P + " + wOff + " + o * " + in + ";\n"
                        + "    __local float xl[" + (tb * kt) + "]; // the group's examples, " + kt + " inputs at a time\n"
                        + "    floatv acc[" + tb + "];\n"
                        + "    float rest[" + tb + "];\n"
                        + "    for (int t = 0; t < " + tb + "; t++) { acc[t] = (floatv) (0.0f); rest[t] = 0.0f; }\n"
                        + "    for (int i0 = 0; i0 < " + in + "; i0 += " + kt + ") {\n"
                        + "        const int len = min(" + kt + ", " + in + " - i0);\n"
                        + "        barrier(CLK_LOCAL_MEM_FENCE);\n"
                        + "        for (int e = lid; e < " + (tb * kt) + "; e += lsize) {\n"
                        + "            const int t = e / " + kt + ", i = e % " + kt + ";\n"
                        + "            xl[e] = i < len && b0 + t < n ? x[(b0 + t) * " + in + " + i0 + i] : 0.0f;\n"
                        + "        }\n"
                        + "        barrier(CLK_LOCAL_MEM_FENCE);\n"
                        + "        int i = 0;\n"
                        + "        for (; i + VW <= len; i += VW) { // VW inputs at once, in the device's preferred vector\n"
                        + "            const floatv w = vloadv(0, wo + i0 + i);\n"
                        + "            for (int t = 0; t < " + tb + "; t++) acc[t] += w * vloadv(0, xl + t * " + kt + " + i);\n"
                        + "        }\n"
                        + "        for (; i < len; i++) {\n"
                        + "            const float w = wo[i0 + i];\n"
                        + "            for (int t = 0; t < " + tb + "; t++) rest[t] += w * xl[t * " + kt + " + i];\n"
                        + "        }\n"
                        + "    }\n"
                        + "    if (!live) return;\n"
                        + "    for (int t = 0; t < " + tb + " && b0 + t < n; t++) { const float z = " + bias + " + vsum(acc[t]) + rest[t]; y[(b0 + t) * "
                        + units + " + o] = " + ClActivation.apply(op.activation(), "z") + "; }\n");
        ctx.out.forward.add(ctx.launch2(k, "op" + k + "_dense_fwd", 0, units, tb, 1, null, x, "P", y));
        ctx.kernel("op" + k + "_dense_dz", "__global const float* y, __global const float* dy, __global float* dz", units, 0,
                "    const float v = y[gid];\n    dz[gid] = dy[gid] * " + ClActivation.derivative(op.activation(), "v") + ";\n");
        ctx.back(k, "op" + k + "_dense_dz", units, 0, null, y, dy, dz);
        ctx.kernel2("op" + k + "_dense_dw", "__global const float* x, __global const float* dz, __global float* G", 0, in,
                "    acc_t s = 0;\n"
                        + "    for (int b = 0; b < n; b++) s += dz[b * " + units + " + row] * x[b * " + in + " + gid];\n"
                        + "    G[" + wOff + " + row * " + in + " + gid] = (float) s;\n");
        ctx.out.backward.add(ctx.launch2(k, "op" + k + "_dense_dw", 0, in, 0, units, null, x, dz, "G"));
        if (hasBias) {
            ctx.kernel("op" + k + "_dense_db", "__global const float* dz, __global float* G", 0, units,
                    "    acc_t s = 0;\n    for (int b = 0; b < n; b++) s += dz[b * " + units + " + gid];\n"
                            + "    G[" + entries.get("bias").offset() + " + gid] = (float) s;\n");
            ctx.back(k, "op" + k + "_dense_db", 0, units, null, dz, "G");
        }
        ctx.kernel2("op" + k + "_dense_dx", "__global const float* dz, __global const float* P, __global float* dx", 0, in,
                "    float s = 0.0f;\n"
                        + "    for (int o = 0; o < " + units + "; o++) s += P[" + wOff + " + o * " + in + " + gid] * dz[row * " + units + " + o];\n"
                        + "    dx[row * " + in + " + gid] = s;\n");
        ctx.out.backward.add(ctx.launch2(k, "op" + k + "_dense_dx", 0, in, 1, 1, ctx.inputWhen(op.input()), dz, "P", ctx.slot(k, op.input())));
    }
}
