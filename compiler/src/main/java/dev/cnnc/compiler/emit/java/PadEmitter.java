package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;

/** The zero padding before a conv that pads its sides unevenly: the runtime's PlanePadding over n*C planes. */
final class PadEmitter implements OpEmitter<Op.PadOp> {
    private static final ClassName PADDING = ClassName.get("dev.cnnc.runtime.kernels", "PlanePadding");

    @Override
    public void declare(Op.PadOp op, int k, JavaEmitContext ctx) {
    }

    private static String planes(Op.PadOp op) {
        Shape s = op.input().shape(), o = op.output().shape();
        return "n * " + s.channels() + ", " + s.height() + ", " + s.width() + ", " + op.top() + ", " + op.left() + ", " + o.height() + ", " + o.width();
    }

    @Override
    public CodeBlock forward(Op.PadOp op, int k, JavaEmitContext ctx) {
        return CodeBlock.builder().addStatement("$T.pad($L, $L, $L)", PADDING, ctx.value(op.input()), ctx.value(op.output()), planes(op)).build();
    }

    @Override
    public CodeBlock backward(Op.PadOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        return CodeBlock.builder().addStatement("$T.crop($L, $L, $L)", PADDING, ctx.grad(op.output()), ctx.gradSlot(op, op.input()), planes(op))
                .build();
    }
}
