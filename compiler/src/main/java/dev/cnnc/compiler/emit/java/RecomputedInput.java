package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.lower.Tensor;
import java.util.Map;
import java.util.Optional;

/**
 * A conv's input made again in backward from the batchnorm that made it, instead of kept from
 * forward. A conv needs its input for its weight gradient, and a conv, batchnorm and relu before
 * another conv (every ResNet block, every VGG stage) would keep both the batchnorm's input (for
 * the batchnorm's own backward) and its output for the whole step; remaking the output from the
 * input is one pass over it, in a buffer that lives only during the conv's backward (ResNet-18's
 * eight such outputs are 48 MB at batch 16). Only when every reader of the tensor is a conv: a
 * reader that keeps it anyway would make the pass a waste.
 */
final class RecomputedInput {
    private RecomputedInput() {
    }

    /** The batchnorm whose output is the conv's input, when that output may be remade for the conv's backward. */
    static Optional<Op.BatchNormOp> of(Op.ConvOp conv, JavaEmitContext ctx) {
        Tensor in = conv.input();
        if (ctx.isNetworkInput(in) || in.shape().flat()) {
            return Optional.empty();
        }
        Op.BatchNormOp bn = null;
        for (Op op : ctx.plan.ops()) {
            if (op.output().id() == in.id()) {
                bn = op instanceof Op.BatchNormOp b ? b : null;
            }
        }
        if (bn == null) {
            return Optional.empty();
        }
        for (int[] reader : ctx.plan.consumers(in)) {
            if (!(ctx.plan.ops().get(reader[0]) instanceof Op.ConvOp)) {
                return Optional.empty();
            }
        }
        return Optional.of(bn);
    }

    /** The buffer the conv's backward reads its input from: the remade one, or the tensor's own. */
    static String buffer(Op.ConvOp conv, JavaEmitContext ctx) {
        return of(conv, ctx).isPresent() ? name(conv.input()) : ctx.value(conv.input());
    }

    private static String name(Tensor t) {
        return "remade" + t.id();
    }

    /** The statements remaking the input before the conv's backward reads it (none when it is kept). */
    static CodeBlock code(Op.ConvOp conv, JavaEmitContext ctx) {
        Optional<Op.BatchNormOp> made = of(conv, ctx);
        if (made.isEmpty()) {
            return CodeBlock.of("");
        }
        Op.BatchNormOp bn = made.get();
        int k = ctx.plan.ops().indexOf(bn);
        String into = name(conv.input());
        ctx.floats(into, JavaEmitContext.size(conv.input()));
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(bn.name());
        String layout = BatchNormEmitter.layout(bn.input().shape());
        String x = ctx.value(bn.input());
        return CodeBlock.builder()
                .add("// the input, $L's output, made again from its input as forward made it (not kept for the step)\n", bn.name())
                .beginControlFlow("if (evalInTraining[$L])", k)
                .addStatement("$T.batchNormInfer(par, $L, $L, $L, params, $L, $L, state, $L, $L, $L$L)", JavaEmitContext.OPS, x, into, layout,
                        p.get("weight").offset(), p.get("bias").offset(), p.get("running_mean").offset(), p.get("running_var").offset(),
                        JavaEmitContext.f(bn.norm().eps()), BatchNormEmitter.clamp(bn))
                .nextControlFlow("else")
                .addStatement("$T.batchNormRecompute(par, $L, $L, $L, params, $L, $L, mean$L, invStd$L$L)", JavaEmitContext.OPS, x, into, layout,
                        p.get("weight").offset(), p.get("bias").offset(), k, k, BatchNormEmitter.clamp(bn))
                .endControlFlow()
                .build();
    }
}
