package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/** upsample: each of the n*C planes ([C][n][H][W]) by the runtime's Upsampling kernels. */
final class UpsampleEmitter implements OpEmitter<Op.UpsampleOp> {
    private static final ClassName UPSAMPLING = ClassName.get("dev.cnnc.runtime.kernels", "Upsampling");

    @Override
    public void declare(Op.UpsampleOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.UpsampleOp op, int k, JavaEmitContext ctx) {
        Shape s = op.input().shape();
        return CodeBlock.builder().addStatement("$T.$L($L, $L, n * $L, $L, $L, $L)", UPSAMPLING, op.upsample().bilinear() ? "bilinear" : "nearest",
                ctx.value(op.input()), ctx.value(op.output()), s.channels(), s.height(), s.width(), op.upsample().factor()).build();
    }

    @Override
    public CodeBlock backward(Op.UpsampleOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        Shape s = op.input().shape();
        return CodeBlock.builder().addStatement("$T.$L($L, $L, n * $L, $L, $L, $L)", UPSAMPLING,
                op.upsample().bilinear() ? "bilinearBackward" : "nearestBackward", ctx.grad(op.output()), ctx.gradSlot(op, op.input()),
                s.channels(), s.height(), s.width(), op.upsample().factor()).build();
    }
}
