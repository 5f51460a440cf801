package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.Shape;
import java.util.Map;

/**
 * batchnorm: batch statistics while training (updating the running ones as PyTorch), running
 * statistics in inference, and in training too for a layer set to eval ({@code evalInTraining[k]}:
 * a frozen batchnorm kept in inference mode while the rest fine-tunes).
 */
final class BatchNormEmitter implements OpEmitter<Op.BatchNormOp> {
    @Override
    public void declare(Op.BatchNormOp op, int k, JavaEmitContext ctx) {
        ctx.doubles("mean" + k, Long.toString(op.input().shape().channels()));
        ctx.doubles("invStd" + k, Long.toString(op.input().shape().channels()));
    }

    static String layout(Shape s) {
        return s.flat() ? s.channels() + ", n, true" : s.channels() + ", n * " + (s.height() * s.width()) + ", false";
    }

    @Override
    public CodeBlock forward(Op.BatchNormOp op, int k, JavaEmitContext ctx) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String common = ctx.value(op.input()) + ", " + ctx.value(op.output()) + ", " + layout(op.input().shape()) + ", params, "
                + p.get("weight").offset() + ", " + p.get("bias").offset() + ", state, " + p.get("running_mean").offset() + ", "
                + p.get("running_var").offset();
        String clamp = clamp(op);
        return CodeBlock.builder()
                .beginControlFlow("if (training && !evalInTraining[$L])", k)
                .addStatement("$T.batchNormTrain(par, gemm, $L, $L, $L, mean$L, invStd$L$L)", JavaEmitContext.OPS, common,
                        JavaEmitContext.f(op.norm().momentum()), JavaEmitContext.f(op.norm().eps()), k, k, clamp)
                .nextControlFlow("else if (training)")
                .add("// eval while training: the conv before ran unfolded\n")
                .addStatement("$T.batchNormInfer(par, $L, $L$L)", JavaEmitContext.OPS, common, JavaEmitContext.f(op.norm().eps()), clamp)
                .nextControlFlow("else")
                .add(BatchNormFold.folded(ctx.plan, op)
                        ? CodeBlock.of("// in inference the conv before computes this batchnorm too (BatchNormFold)\n")
                        : CodeBlock.of("$T.batchNormInfer(par, $L, $L$L);\n", JavaEmitContext.OPS, common, JavaEmitContext.f(op.norm().eps()), clamp))
                .endControlFlow().build();
    }

    /** ", lo, hi": the bounds of a fused relu or relu6, or infinite ones (no clamp). */
    static String clamp(Op.BatchNormOp op) {
        return ", " + ActivationCode.clampBounds(op.activation());
    }

    @Override
    public CodeBlock backward(Op.BatchNormOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        // The parameter gradients come with the input gradient; without a reader of dx it goes to a scratch slot.
        String dx = inputGradient ? ctx.gradSlot(op, op.input()) : "bnScratch" + k;
        if (!inputGradient) {
            ctx.floats("bnScratch" + k, JavaEmitContext.size(op.input()));
        } else {
            ctx.inPlace(dx, ctx.grad(op.output())); // Ops.batchNormBackward: dx may be dy
        }
        // a fused clamp's flat points are recomputed from the input: backward does not read the output
        String clamp = ActivationCode.clampBounds(op.activation());
        return CodeBlock.builder()
                .beginControlFlow("if (evalInTraining[$L])", k)
                .addStatement("$T.batchNormEvalBackward(par, gemm, $L, $L, $L, $L, params, $L, grads, $L, state, $L, $L, $L, $L)", JavaEmitContext.OPS,
                        ctx.value(op.input()), ctx.grad(op.output()), dx, layout(op.input().shape()), p.get("weight").offset(),
                        p.get("bias").offset(), p.get("running_mean").offset(), p.get("running_var").offset(), JavaEmitContext.f(op.norm().eps()), clamp)
                .nextControlFlow("else")
                .addStatement("$T.batchNormBackward(par, gemm, $L, $L, $L, $L, params, $L, grads, $L, mean$L, invStd$L, $L)", JavaEmitContext.OPS,
                        ctx.value(op.input()), ctx.grad(op.output()), dx, layout(op.input().shape()), p.get("weight").offset(),
                        p.get("bias").offset(), k, k, clamp)
                .endControlFlow()
                .build();
    }
}
