package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import java.util.Map;

/**
 * A grouped or dilated conv through the runtime's {@code GroupedConv}: forward a (group,
 * example) at a time, the bias and the fused activation applied while its planes are in cache;
 * backward the activation's derivative in place on the output gradient, then the weight and
 * bias gradients group by group and the input gradient a (group, example) at a time (each
 * written by one thread: the same result for any thread count).
 */
final class GroupedConvEmitter implements OpEmitter<Op.GroupedConvOp> {
    static final ClassName GROUPED_CONV = ClassName.get("dev.cnnc.runtime.kernels", "GroupedConv");

    @Override
    public void declare(Op.GroupedConvOp op, int k, JavaEmitContext ctx) {
        Conv c = op.conv();
        int[] pad = c.pad();
        var in = op.input().shape();
        var out = op.output().shape();
        ctx.kernel("gconv" + k, GROUPED_CONV, CodeBlock.of("new $T(gemm, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", GROUPED_CONV,
                in.channels(), in.height(), in.width(), c.filters(), c.kernelHeight(), c.kernelWidth(), c.strideHeight(), c.strideWidth(),
                pad[0], pad[1], c.dilationHeight(), c.dilationWidth(), c.groups(), out.height(), out.width()));
    }

    @Override
    public CodeBlock forward(Op.GroupedConvOp op, int k, JavaEmitContext ctx) {
        var fold = BatchNormFold.into(ctx.plan, op);
        if (fold.isEmpty()) {
            return unfolded(op, k, ctx);
        }
        Op.BatchNormOp bn = fold.get();
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String clamp = BatchNormEmitter.clamp(bn);
        return CodeBlock.builder()
                .beginControlFlow("if (training)")
                .add(unfolded(op, k, ctx))
                .nextControlFlow("else")
                .add(BatchNormFold.coefficients(bn, k, op.name(), op.conv().filters(), ctx))
                .beginControlFlow("par.forRange(gconv$L.units(n), 1, (from, to) ->", k)
                .beginControlFlow("for (int u = from; u < to; u++)")
                .addStatement("gconv$L.forward($L, n, u, params, $L, foldScale$L, foldShift$L$L, $L)", k, ctx.value(op.input()),
                        p.get("weight").offset(), k, k, clamp, ctx.value(bn.output()))
                .endControlFlow()
                .unindent().add("});\n")
                .endControlFlow().build();
    }

    private CodeBlock unfolded(Op.GroupedConvOp op, int k, JavaEmitContext ctx) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String y = ctx.value(op.output());
        CodeBlock.Builder b = CodeBlock.builder();
        b.add("// a unit (group, examples) at a time: its input's phase planes, every tap a run over the output planes, the bias$L\n",
                op.activation() == null ? "" : ", " + op.activation().describe() + " in place");
        b.beginControlFlow("par.forRange(gconv$L.units(n), 1, (from, to) ->", k);
        b.beginControlFlow("for (int u = from; u < to; u++)");
        b.addStatement("gconv$L.forward($L, n, u, params, $L, $L, $L)", k, ctx.value(op.input()), p.get("weight").offset(),
                p.containsKey("bias") ? p.get("bias").offset() : -1, y);
        b.endControlFlow();
        b.unindent().add("});\n");
        if (op.activation() != null) {
            b.add("// $L, in place\n", op.activation().describe());
            b.add(ActivationEmitter.applyPass(op.activation(), y, y, op.output().perExample()));
        }
        return b.build();
    }

    @Override
    public CodeBlock backward(Op.GroupedConvOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String dy = ctx.grad(op.output());
        String y = ctx.value(op.output());
        CodeBlock.Builder b = CodeBlock.builder();
        if (op.activation() != null) {
            b.add("// $L backward, in place on the output gradient\n", op.activation().describe());
            b.add(ActivationEmitter.derivativePass(op.activation(), y, dy, dy, op.output().perExample()));
        }
        b.add("// weight (and bias) gradient$L, one group at a time over the whole batch\n", inputGradient ? " and input gradient" : "");
        b.beginControlFlow("par.forRange($L, 1, (from, to) ->", op.conv().groups());
        b.beginControlFlow("for (int g = from; g < to; g++)");
        b.addStatement("gconv$L.backward($L, $L, n, g, params, grads, $L, $L, $L)", k, ctx.value(op.input()), dy, p.get("weight").offset(),
                p.containsKey("bias") ? p.get("bias").offset() : -1, inputGradient ? ctx.gradSlot(op, op.input()) : "null");
        b.endControlFlow();
        b.unindent().add("});\n");
        return b.build();
    }
}
