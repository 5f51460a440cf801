package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/**
 * PReLU: y = x if x > 0, else a * x. An image's channel is one block of n*H*W values in the
 * layout [C][n][H*W], so each block has one slope; features ([n][F]) take slope i % F. The slopes'
 * gradient sums x * dy where x <= 0, in double, in a fixed order.
 */
final class PReluEmitter implements OpEmitter<Op.PReluOp> {
    @Override
    public void declare(Op.PReluOp op, int k, JavaEmitContext ctx) {
    }

    /** The slope of element i, as a Java expression. */
    private static String slopeIndex(Op.PReluOp op, int off) {
        var s = op.input().shape();
        if (op.prelu().slopes(s) == 1) {
            return Integer.toString(off);
        }
        return off + " + " + (s.flat() ? "i % " + s.elements() : "i / (n * " + s.height() * s.width() + ")");
    }

    @Override
    public CodeBlock forward(Op.PReluOp op, int k, JavaEmitContext ctx) {
        int off = ctx.plan.params().of(op.name()).get("weight").offset();
        return CodeBlock.builder()
                .beginControlFlow("for (int i = 0; i < n * $L; i++)", op.input().perExample())
                .addStatement("final float v = $L[i]", ctx.value(op.input()))
                .addStatement("$L[i] = v > 0f ? v : params[$L] * v", ctx.value(op.output()), slopeIndex(op, off))
                .endControlFlow().build();
    }

    @Override
    public CodeBlock backward(Op.PReluOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        int off = ctx.plan.params().of(op.name()).get("weight").offset();
        int slopes = op.prelu().slopes(op.input().shape());
        String x = ctx.value(op.input()), dy = ctx.grad(op.output());
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("final double[] slopeSums = new double[$L]", slopes)
                .beginControlFlow("for (int i = 0; i < n * $L; i++)", op.input().perExample())
                .addStatement("final float v = $L[i]", x)
                .addStatement("final int at = $L", slopeIndex(op, off));
        if (inputGradient) {
            b.addStatement("$L[i] = v > 0f ? $L[i] : params[at] * $L[i]", ctx.gradSlot(op, op.input()), dy, dy);
        }
        return b.beginControlFlow("if (!(v > 0f))")
                .addStatement("slopeSums[at - $L] += v * $L[i]", off, dy)
                .endControlFlow()
                .endControlFlow()
                .beginControlFlow("for (int s = 0; s < $L; s++)", slopes)
                .addStatement("grads[$L + s] = (float) slopeSums[s]", off)
                .endControlFlow().build();
    }
}
