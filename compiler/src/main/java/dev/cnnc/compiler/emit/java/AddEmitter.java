package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/** The join of a residual: y = a + b, or f(a + b) with a fused activation; both inputs receive the gradient of the sum. */
final class AddEmitter implements OpEmitter<Op.AddOp> {
    /** Elements per part: a part below this costs more to hand over than to compute. */
    private static final int GRAIN = dev.cnnc.runtime.kernels.Parallel.MIN_WORK;

    @Override
    public void declare(Op.AddOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.AddOp op, int k, JavaEmitContext ctx) {
        CodeBlock.Builder b = CodeBlock.builder()
                .beginControlFlow("par.forRange(n * $L, $L, (from, to) ->", op.output().perExample(), GRAIN)
                .beginControlFlow("for (int i = from; i < to; i++)");
        if (op.activation() == null) {
            b.addStatement("$L[i] = $L[i] + $L[i]", ctx.value(op.output()), ctx.value(op.a()), ctx.value(op.b()));
        } else {
            b.addStatement("final float v = $L[i] + $L[i]", ctx.value(op.a()), ctx.value(op.b()));
            b.addStatement("$L[i] = $L", ctx.value(op.output()), ActivationCode.apply(op.activation(), "v"));
        }
        return b.endControlFlow().unindent().add("});\n").build();
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
        boolean toA = !aIsInput || inputGradient;
        boolean toB = !bIsInput || inputGradient;
        String dy = ctx.grad(op.output());
        if (!toA && !toB) {
            return b.build();
        }
        // one pass over the gradient, split across the threads: a fused activation's derivative
        // into the first slot, then copies of it
        String first = toA ? slotA : slotB;
        b.beginControlFlow("par.forRange(n * $L, $L, (from, to) ->", e, GRAIN);
        if (op.activation() != null) {
            b.add(ActivationEmitter.derivativeRange(op.activation(), ctx.value(op.output()), dy, first));
        } else {
            b.addStatement("System.arraycopy($L, from, $L, from, to - from)", dy, first);
        }
        if (toA && toB) {
            b.addStatement("System.arraycopy($L, from, $L, from, to - from)", first, slotB);
        }
        b.unindent().add("});\n");
        return b.build();
    }
}
