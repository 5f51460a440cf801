package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/** The join of a residual: y = a + b; both inputs receive the output's gradient. */
final class AddEmitter implements OpEmitter<Op.AddOp> {
    @Override
    public void declare(Op.AddOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.AddOp op, int k, JavaEmitContext ctx) {
        return CodeBlock.builder()
                .beginControlFlow("for (int i = 0; i < n * $L; i++)", op.output().perExample())
                .addStatement("$L[i] = $L[i] + $L[i]", ctx.value(op.output()), ctx.value(op.a()), ctx.value(op.b()))
                .endControlFlow().build();
    }

    @Override
    public CodeBlock backward(Op.AddOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        CodeBlock.Builder b = CodeBlock.builder();
        long e = op.output().perExample();
        boolean aIsInput = ctx.isNetworkInput(op.a());
        boolean bIsInput = ctx.isNetworkInput(op.b());
        // The same tensor on both sides (a residual with two empty paths) has one slot per side.
        String slotA = ctx.gradSlotAt(op, 0);
        String slotB = ctx.gradSlotAt(op, 1);
        if (!aIsInput || inputGradient) {
            b.addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.grad(op.output()), slotA, e);
        }
        if (!bIsInput || inputGradient) {
            b.addStatement("System.arraycopy($L, 0, $L, 0, n * $L)", ctx.grad(op.output()), slotB, e);
        }
        return b.build();
    }
}
