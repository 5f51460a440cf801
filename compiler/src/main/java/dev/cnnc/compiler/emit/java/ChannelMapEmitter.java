package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A channel shuffle or split: in the layout [C][n][H*W] a channel of the whole batch is one
 * contiguous block, so output channel o is one copy of input block {@code sources[o]}; backward
 * copies the blocks back and clears the channels no output read.
 */
final class ChannelMapEmitter implements OpEmitter<Op.ChannelMapOp> {
    @Override
    public void declare(Op.ChannelMapOp op, int k, JavaEmitContext ctx) {
    }

    private static String sources(Op.ChannelMapOp op) {
        return Arrays.stream(op.sources()).mapToObj(Integer::toString).collect(Collectors.joining(", "));
    }

    private static long plane(Op.ChannelMapOp op) {
        return op.input().shape().height() * op.input().shape().width();
    }

    @Override
    public CodeBlock forward(Op.ChannelMapOp op, int k, JavaEmitContext ctx) {
        return CodeBlock.builder()
                .addStatement("final int[] src = {$L}", sources(op))
                .beginControlFlow("for (int o = 0; o < src.length; o++)")
                .addStatement("System.arraycopy($L, src[o] * n * $L, $L, o * n * $L, n * $L)", ctx.value(op.input()), plane(op),
                        ctx.value(op.output()), plane(op), plane(op))
                .endControlFlow().build();
    }

    @Override
    public CodeBlock backward(Op.ChannelMapOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        String dx = ctx.gradSlot(op, op.input());
        CodeBlock.Builder b = CodeBlock.builder().addStatement("final int[] src = {$L}", sources(op));
        if (op.sources().length < op.input().shape().channels()) {
            b.addStatement("java.util.Arrays.fill($L, 0, n * $L, 0f)", dx, op.input().perExample());
        }
        return b.beginControlFlow("for (int o = 0; o < src.length; o++)")
                .addStatement("System.arraycopy($L, o * n * $L, $L, src[o] * n * $L, n * $L)", ctx.grad(op.output()), plane(op), dx, plane(op),
                        plane(op))
                .endControlFlow().build();
    }
}
