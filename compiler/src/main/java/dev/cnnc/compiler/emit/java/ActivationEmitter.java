package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/** An activation that could not be fused: one element-wise pass each way, split across the threads. */
final class ActivationEmitter implements OpEmitter<Op.ActivationOp> {
    /** Elements per part: a part below this costs more to hand over than to compute. */
    private static final int GRAIN = dev.cnnc.runtime.kernels.Parallel.MIN_WORK;

    @Override
    public void declare(Op.ActivationOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.ActivationOp op, int k, JavaEmitContext ctx) {
        return CodeBlock.builder()
                .beginControlFlow("par.forRange(n * $L, $L, (from, to) ->", op.input().perExample(), GRAIN)
                .beginControlFlow("for (int i = from; i < to; i++)")
                .addStatement("final float v = $L[i]", ctx.value(op.input()))
                .addStatement("$L[i] = $L", ctx.value(op.output()), ActivationCode.apply(op.activation(), "v"))
                .endControlFlow().unindent().add("});\n").build();
    }

    @Override
    public CodeBlock backward(Op.ActivationOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        boolean fromOutput = op.activation().function().fromOutput();
        return CodeBlock.builder()
                .beginControlFlow("par.forRange(n * $L, $L, (from, to) ->", op.input().perExample(), GRAIN)
                .beginControlFlow("for (int i = from; i < to; i++)")
                .addStatement("final float $L = $L[i]", fromOutput ? "y" : "x", ctx.value(fromOutput ? op.output() : op.input()))
                .addStatement("$L[i] = $L[i] * $L", ctx.gradSlot(op, op.input()), ctx.grad(op.output()),
                        fromOutput ? ActivationCode.derivative(op.activation(), "y") : ActivationCode.inputDerivative(op.activation(), "x"))
                .endControlFlow().unindent().add("});\n").build();
    }
}
