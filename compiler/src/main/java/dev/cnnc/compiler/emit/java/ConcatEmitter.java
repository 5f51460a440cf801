package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.Tensor;
import dev.cnnc.compiler.model.Shape;

/**
 * A concat join. Images are held channel-major over the batch ([C][n][H][W]), so each part is one
 * contiguous run of the joined tensor: forward is one copy per part, backward one copy of each
 * part's slice of the gradient. Flat tensors ([n][F]) copy one row segment per example.
 */
final class ConcatEmitter implements OpEmitter<Op.ConcatOp> {
    @Override
    public void declare(Op.ConcatOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.ConcatOp op, int k, JavaEmitContext ctx) {
        CodeBlock.Builder b = CodeBlock.builder();
        long offset = 0;
        Shape out = op.output().shape();
        for (Tensor part : op.parts()) {
            long size = part.perExample();
            if (out.flat()) {
                b.beginControlFlow("for (int b = 0; b < n; b++)")
                        .addStatement("System.arraycopy($L, b * $L, $L, b * $L + $L, $L)", ctx.value(part), size, ctx.value(op.output()),
                                op.output().perExample(), offset, size)
                        .endControlFlow();
            } else {
                // a part of C channels is the run [offset, offset + C) of planes of n examples each
                b.addStatement("System.arraycopy($L, 0, $L, n * $L, n * $L)", ctx.value(part), ctx.value(op.output()), offset, size);
            }
            offset += size;
        }
        return b.build();
    }

    @Override
    public CodeBlock backward(Op.ConcatOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        CodeBlock.Builder b = CodeBlock.builder();
        long offset = 0;
        Shape out = op.output().shape();
        for (int p = 0; p < op.parts().size(); p++) {
            Tensor part = op.parts().get(p);
            long size = part.perExample();
            if (!ctx.isNetworkInput(part) || inputGradient) {
                String slot = ctx.gradSlotAt(op, p);
                if (out.flat()) {
                    b.beginControlFlow("for (int b = 0; b < n; b++)")
                            .addStatement("System.arraycopy($L, b * $L + $L, $L, b * $L, $L)", ctx.grad(op.output()), op.output().perExample(),
                                    offset, slot, size, size)
                            .endControlFlow();
                } else {
                    b.addStatement("System.arraycopy($L, n * $L, $L, 0, n * $L)", ctx.grad(op.output()), offset, slot, size);
                }
            }
            offset += size;
        }
        return b.build();
    }
}
