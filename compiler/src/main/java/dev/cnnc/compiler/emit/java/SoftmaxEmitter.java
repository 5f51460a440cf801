package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/**
 * softmax. The model's last softmax is folded into the cross-entropy loss: in training it
 * passes the logits through (and their gradient back); in inference it computes probabilities.
 */
final class SoftmaxEmitter implements OpEmitter<Op.SoftmaxOp> {
    @Override
    public void declare(Op.SoftmaxOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.SoftmaxOp op, int k, JavaEmitContext ctx) {
        long f = op.input().perExample();
        CodeBlock.Builder b = CodeBlock.builder();
        if (op.last()) {
            b.beginControlFlow("if (training)")
                    .addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.value(op.input()), ctx.value(op.output()), f)
                    .addStatement("return")
                    .endControlFlow();
        }
        return b.addStatement("$T.softmax($L, $L, n, $L)", JavaEmitContext.OPS, ctx.value(op.input()), ctx.value(op.output()), f).build();
    }

    @Override
    public CodeBlock backward(Op.SoftmaxOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        long f = op.input().perExample();
        if (op.last()) {
            return CodeBlock.builder().addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.grad(op.output()),
                    ctx.gradSlot(op, op.input()), f).build();
        }
        return CodeBlock.builder().addStatement("$T.softmaxBackward($L, $L, $L, n, $L)", JavaEmitContext.OPS, ctx.value(op.output()),
                ctx.grad(op.output()), ctx.gradSlot(op, op.input()), f).build();
    }
}
