package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/** flatten: [C][n][H*W] to [n][C*H*W], PyTorch's C,H,W order per example. */
final class FlattenEmitter implements OpEmitter<Op.FlattenOp> {
    @Override
    public void declare(Op.FlattenOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.FlattenOp op, int k, JavaEmitContext ctx) {
        Shape s = op.input().shape();
        if (s.flat()) {
            return CodeBlock.builder().addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.value(op.input()),
                    ctx.value(op.output()), s.channels()).build();
        }
        return CodeBlock.builder().addStatement("$T.toExampleMajor($L, $L, n, $L, $L)", JavaEmitContext.OPS, ctx.value(op.input()),
                ctx.value(op.output()), s.channels(), s.height() * s.width()).build();
    }

    @Override
    public CodeBlock backward(Op.FlattenOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        Shape s = op.input().shape();
        if (s.flat()) {
            return CodeBlock.builder().addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.grad(op.output()),
                    ctx.gradSlot(op, op.input()), s.channels()).build();
        }
        return CodeBlock.builder().addStatement("$T.toChannelMajor($L, $L, n, $L, $L)", JavaEmitContext.OPS, ctx.grad(op.output()),
                ctx.gradSlot(op, op.input()), s.channels(), s.height() * s.width()).build();
    }
}
