package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/**
 * upsample on the device (NCHW, so n*C planes): one item per output value forward; backward one
 * item per input value, gathering the outputs that read it (no atomics, every value written once).
 */
final class UpsampleKernels implements ClOpEmitter<Op.UpsampleOp> {
    @Override
    public void emit(int k, Op.UpsampleOp op, ClEmitContext ctx) {
        Shape s = op.input().shape();
        int h = (int) s.height(), w = (int) s.width(), f = op.upsample().factor();
        int oh = h * f, ow = w * f;
        long c = s.channels();
        // lower neighbour, upper neighbour and the upper's weight of output o along an axis of n inputs
        String axis = "inline void up_axis(const int o, const int n, int* i0, int* i1, float* l) {\n"
                + "    float s = ((float) o + 0.5f) / " + f + ".0f - 0.5f;\n    if (s < 0.0f) s = 0.0f;\n"
                + "    *i0 = (int) s; *i1 = *i0 < n - 1 ? *i0 + 1 : *i0; *l = s - (float) *i0;\n}\n";
        String weight = "inline float up_weight(const int o, const int i, const int n) {\n"
                + "    int i0, i1; float l; up_axis(o, n, &i0, &i1, &l);\n"
                + "    return (i0 == i ? 1.0f - l : 0.0f) + (i1 == i ? l : 0.0f);\n}\n";
        if (op.upsample().bilinear() && !ctx.src.toString().contains("inline float up_weight(")) {
            ctx.src.append(axis).append(weight).append('\n');
        }
        String fwd;
        String bwd;
        if (op.upsample().bilinear()) {
            fwd = "    const int p = gid / " + (oh * ow) + ", oy = gid / " + ow + " % " + oh + ", ox = gid % " + ow + ";\n"
                    + "    int y0, y1, x0, x1; float ly, lx;\n"
                    + "    up_axis(oy, " + h + ", &y0, &y1, &ly); up_axis(ox, " + w + ", &x0, &x1, &lx);\n"
                    + "    const __global float* q = x + p * " + (h * w) + ";\n"
                    + "    const float top = (1.0f - lx) * q[y0 * " + w + " + x0] + lx * q[y0 * " + w + " + x1];\n"
                    + "    const float bottom = (1.0f - lx) * q[y1 * " + w + " + x0] + lx * q[y1 * " + w + " + x1];\n"
                    + "    y[gid] = (1.0f - ly) * top + ly * bottom;\n";
            bwd = "    const int p = gid / " + (h * w) + ", iy = gid / " + w + " % " + h + ", ix = gid % " + w + ";\n"
                    + "    const int oy0 = max(0, (iy - 1) * " + f + "), oy1 = min(" + (oh - 1) + ", (iy + 2) * " + f + ");\n"
                    + "    const int ox0 = max(0, (ix - 1) * " + f + "), ox1 = min(" + (ow - 1) + ", (ix + 2) * " + f + ");\n"
                    + "    float s = 0.0f;\n"
                    + "    for (int oy = oy0; oy <= oy1; oy++) {\n"
                    + "        const float wy = up_weight(oy, iy, " + h + ");\n        if (wy == 0.0f) continue;\n"
                    + "        for (int ox = ox0; ox <= ox1; ox++) {\n"
                    + "            const float wx = up_weight(ox, ix, " + w + ");\n"
                    + "            if (wx != 0.0f) s += wy * wx * dy[(p * " + oh + " + oy) * " + ow + " + ox];\n"
                    + "        }\n    }\n    dx[gid] = s;\n";
        } else {
            fwd = "    const int p = gid / " + (oh * ow) + ", oy = gid / " + ow + " % " + oh + ", ox = gid % " + ow + ";\n"
                    + "    y[gid] = x[(p * " + h + " + oy / " + f + ") * " + w + " + ox / " + f + "];\n";
            bwd = "    const int p = gid / " + (h * w) + ", iy = gid / " + w + " % " + h + ", ix = gid % " + w + ";\n"
                    + "    float s = 0.0f;\n"
                    + "    for (int a = 0; a < " + f + "; a++) for (int b = 0; b < " + f + "; b++)\n"
                    + "        s += dy[(p * " + oh + " + iy * " + f + " + a) * " + ow + " + ix * " + f + " + b];\n"
                    + "    dx[gid] = s;\n";
        }
        ctx.kernel("op" + k + "_up_fwd", "__global const float* x, __global float* y", c * oh * ow, 0, fwd);
        ctx.fwd(k, "op" + k + "_up_fwd", c * oh * ow, 0, null, ClEmitContext.value(op.input()), ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_up_dx", "__global const float* dy, __global float* dx", c * h * w, 0, bwd);
        ctx.back(k, "op" + k + "_up_dx", c * h * w, 0, ctx.inputWhen(op.input()), ClEmitContext.grad(op.output()), ctx.slot(k, op.input()));
    }
}
