package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/** dropout: a seeded mask of 0 and 1/(1-p) while training (inverted dropout); a copy in inference. */
final class DropoutEmitter implements OpEmitter<Op.DropoutOp> {
    @Override
    public void declare(Op.DropoutOp op, int k, JavaEmitContext ctx) {
        ctx.floats(JavaEmitContext.dropoutMask(op.index()), JavaEmitContext.size(op.input()));
    }

    @Override
    public CodeBlock forward(Op.DropoutOp op, int k, JavaEmitContext ctx) {
        long e = op.input().perExample();
        var s = op.input().shape();
        CodeBlock draw = op.dropout().perExample()
                ? CodeBlock.of("$T.exampleMask(random, $L, n, $L, $L, $L)", JavaEmitContext.OPS, JavaEmitContext.dropoutMask(op.index()), s.flat() ? 1 : s.channels(),
                        s.flat() ? e : s.height() * s.width(), JavaEmitContext.f(op.dropout().probability()))
                : CodeBlock.of("$T.dropoutMask(random, $L, n * $L, $L)", JavaEmitContext.OPS, JavaEmitContext.dropoutMask(op.index()), e,
                        JavaEmitContext.f(op.dropout().probability()));
        return CodeBlock.builder()
                .beginControlFlow("if (training)")
                .addStatement(draw)
                .beginControlFlow("for (int i = 0; i < n * $L; i++)", e)
                .addStatement("$L[i] = $L[i] * $L[i]", ctx.value(op.output()), ctx.value(op.input()), JavaEmitContext.dropoutMask(op.index()))
                .endControlFlow()
                .nextControlFlow("else")
                .addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.value(op.input()), ctx.value(op.output()), e)
                .endControlFlow().build();
    }

    @Override
    public CodeBlock backward(Op.DropoutOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        return CodeBlock.builder()
                .beginControlFlow("for (int i = 0; i < n * $L; i++)", op.input().perExample())
                .addStatement("$L[i] = $L[i] * $L[i]", ctx.gradSlot(op, op.input()), ctx.grad(op.output()), JavaEmitContext.dropoutMask(op.index()))
                .endControlFlow().build();
    }
}
