package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A channel shuffle or split on the device (NCHW): one item per output value forward, reading
 * its source channel; one per input value backward, reading the output channel that took it (or
 * 0), from tables of constants in the source.
 */
final class ChannelMapKernels implements ClOpEmitter<Op.ChannelMapOp> {
    @Override
    public void emit(int k, Op.ChannelMapOp op, ClEmitContext ctx) {
        int c = (int) op.input().shape().channels();
        int oc = op.sources().length;
        long hw = op.input().shape().height() * op.input().shape().width();
        int[] taken = new int[c];
        Arrays.fill(taken, -1);
        for (int o = 0; o < oc; o++) {
            taken[op.sources()[o]] = o;
        }
        ctx.src.append("__constant int op").append(k).append("_src[] = {").append(list(op.sources())).append("};\n");
        ctx.src.append("__constant int op").append(k).append("_taken[] = {").append(list(taken)).append("};\n");
        ctx.kernel("op" + k + "_channels_fwd", "__global const float* x, __global float* y", oc * hw, 0,
                "    const int b = gid / " + (oc * hw) + ", o = gid / " + hw + " % " + oc + ", p = gid % " + hw + ";\n"
                        + "    y[gid] = x[(b * " + c + " + op" + k + "_src[o]) * " + hw + " + p];\n");
        ctx.fwd(k, "op" + k + "_channels_fwd", oc * hw, 0, null, ClEmitContext.value(op.input()), ClEmitContext.value(op.output()));
        ctx.kernel("op" + k + "_channels_dx", "__global const float* dy, __global float* dx", c * hw, 0,
                "    const int b = gid / " + (c * hw) + ", ch = gid / " + hw + " % " + c + ", p = gid % " + hw + ";\n"
                        + "    const int o = op" + k + "_taken[ch];\n"
                        + "    dx[gid] = o < 0 ? 0.0f : dy[(b * " + oc + " + o) * " + hw + " + p];\n");
        ctx.back(k, "op" + k + "_channels_dx", c * hw, 0, ctx.inputWhen(op.input()), ClEmitContext.grad(op.output()), ctx.slot(k, op.input()));
    }

    private static String list(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(", "));
    }
}
