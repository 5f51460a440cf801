package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.lower.Op;

/** A pool that could not be fused into a conv (or a global pool): the runtime's pooling kernel. */
final class PoolEmitter implements OpEmitter<Op.PoolOp> {
    static int code(Pool.Op op) {
        return switch (op) {
            case MAX -> 0;
            case AVG -> 1;
            case MIN -> 2;
        };
    }

    @Override
    public void declare(Op.PoolOp op, int k, JavaEmitContext ctx) {
        ctx.ints("arg" + k, op.kind() == Pool.Op.AVG ? "0" : JavaEmitContext.size(op.output()));
    }

    private static String args(Op.PoolOp op) {
        var in = op.input().shape();
        var out = op.output().shape();
        return in.channels() + " * n, " + in.height() + ", " + in.width() + ", " + op.kh() + ", " + op.kw() + ", " + op.sh() + ", "
                + op.sw() + ", " + op.ph() + ", " + op.pw() + ", " + op.pb() + ", " + op.pr() + ", " + out.height() + ", " + out.width();
    }

    @Override
    public CodeBlock forward(Op.PoolOp op, int k, JavaEmitContext ctx) {
        return CodeBlock.builder().addStatement("$T.pool(par, $L, $L, $L, arg$L, $L, training)", JavaEmitContext.OPS, code(op.kind()),
                ctx.value(op.input()), ctx.value(op.output()), k, args(op)).build();
    }

    @Override
    public CodeBlock backward(Op.PoolOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        return CodeBlock.builder().addStatement("$T.poolBackward(par, $L, $L, $L, arg$L, $L)", JavaEmitContext.OPS, code(op.kind()),
                ctx.grad(op.output()), ctx.gradSlot(op, op.input()), k, args(op)).build();
    }
}
