package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/**
 * A multiply join of two paths: y = a * b. Where b is a 1x1xC gate over a's HxWxC, held as
 * [C][n] against a's [C][n][H*W], each plane of a is scaled by its gate value; the gate's
 * gradient is the plane's sum of dy * a.
 */
final class MulEmitter implements OpEmitter<Op.MulOp> {
    @Override
    public void declare(Op.MulOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.MulOp op, int k, JavaEmitContext ctx) {
        String a = ctx.value(op.a()), g = ctx.value(op.b()), y = ctx.value(op.output());
        if (!op.broadcast()) {
            return CodeBlock.builder().beginControlFlow("for (int i = 0; i < n * $L; i++)", op.output().perExample())
                    .addStatement("$L[i] = $L[i] * $L[i]", y, a, g).endControlFlow().build();
        }
        long plane = op.a().shape().height() * op.a().shape().width();
        return CodeBlock.builder()
                .beginControlFlow("for (int q = 0; q < n * $L; q++)", op.a().shape().channels())
                .addStatement("final float s = $L[q]", g)
                .beginControlFlow("for (int i = q * $L, end = i + $L; i < end; i++)", plane, plane)
                .addStatement("$L[i] = $L[i] * s", y, a)
                .endControlFlow().endControlFlow().build();
    }

    @Override
    public CodeBlock backward(Op.MulOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        String a = ctx.value(op.a()), g = ctx.value(op.b()), dy = ctx.grad(op.output());
        boolean wantA = !ctx.isNetworkInput(op.a()) || inputGradient;
        boolean wantG = !ctx.isNetworkInput(op.b()) || inputGradient;
        String da = wantA ? ctx.gradSlotAt(op, 0) : null;
        String dg = wantG ? ctx.gradSlotAt(op, 1) : null;
        CodeBlock.Builder b = CodeBlock.builder();
        if (!op.broadcast()) {
            b.beginControlFlow("for (int i = 0; i < n * $L; i++)", op.output().perExample());
            b.addStatement("final float d = $L[i]", dy);
            // both slots are written before either is read back: a and b may be one tensor (x * x)
            if (wantA && wantG) {
                b.addStatement("final float va = $L[i], vb = $L[i]", a, g).addStatement("$L[i] = d * vb", da).addStatement("$L[i] = d * va", dg);
            } else if (wantA) {
                b.addStatement("$L[i] = d * $L[i]", da, g);
            } else if (wantG) {
                b.addStatement("$L[i] = d * $L[i]", dg, a);
            }
            return b.endControlFlow().build();
        }
        long plane = op.a().shape().height() * op.a().shape().width();
        b.beginControlFlow("for (int q = 0; q < n * $L; q++)", op.a().shape().channels())
                .addStatement("final float s = $L[q]", g)
                .addStatement("double sum = 0")
                .beginControlFlow("for (int i = q * $L, end = i + $L; i < end; i++)", plane, plane)
                .addStatement("final float d = $L[i]", dy);
        if (wantG) {
            b.addStatement("sum += d * $L[i]", a);
        }
        if (wantA) {
            b.addStatement("$L[i] = d * s", da);
        }
        b.endControlFlow();
        if (wantG) {
            b.addStatement("$L[q] = (float) sum", dg);
        }
        return b.endControlFlow().build();
    }
}
