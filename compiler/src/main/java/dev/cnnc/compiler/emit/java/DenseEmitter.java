package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import java.util.Map;

/** dense: y[n][O] = x[n][I] x W^T + b, with its activation fused into the same pass. */
final class DenseEmitter implements OpEmitter<Op.DenseOp> {
    @Override
    public void declare(Op.DenseOp op, int k, JavaEmitContext ctx) {
        int in = (int) op.input().perExample();
        int out = op.dense().units();
        ctx.floats("dzT" + k, "maxBatch * " + out);
    }

    @Override
    public CodeBlock forward(Op.DenseOp op, int k, JavaEmitContext ctx) {
        int in = (int) op.input().perExample();
        int out = op.dense().units();
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String y = ctx.value(op.output());
        CodeBlock.Builder b = CodeBlock.builder();
        b.add("// y[n][O] = x[n][I] x W[O][I]^T\n");
        b.addStatement("gemm.multiplyTransposed(par, n, $L, $L, $L, 0, $L, params, $L, $L, $L, 0, $L, false)", out, in, ctx.value(op.input()), in,
                p.get("weight").offset(), in, y, out);
        if (p.containsKey("bias") || op.activation() != null) {
            b.add("// epilogue: bias$L, in place\n", op.activation() == null ? "" : " + " + op.activation().describe());
            b.beginControlFlow("for (int row = 0; row < n; row++)");
            b.beginControlFlow("for (int o = 0; o < $L; o++)", out);
            b.addStatement("final float v = $L[row * $L + o]$L", y, out,
                    p.containsKey("bias") ? " + params[" + p.get("bias").offset() + " + o]" : "");
            b.addStatement("$L[row * $L + o] = $L", y, out, ActivationCode.apply(op.activation(), "v"));
            b.endControlFlow().endControlFlow();
        }
        return b.build();
    }

    @Override
    public CodeBlock backward(Op.DenseOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        int in = (int) op.input().perExample();
        int out = op.dense().units();
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String dy = ctx.grad(op.output());
        CodeBlock.Builder b = CodeBlock.builder();
        if (op.activation() != null && ActivationEmitter.isClamp(op.activation())) {
            b.beginControlFlow("");
            b.addStatement("final int from = 0, to = n * $L", out);
            b.add(ActivationEmitter.derivativeRange(op.activation(), ctx.value(op.output()), dy, dy));
            b.endControlFlow();
        } else if (op.activation() != null) {
            b.beginControlFlow("for (int i = 0; i < n * $L; i++)", out);
            b.addStatement("final float y = $L[i]", ctx.value(op.output()));
            b.addStatement("$L[i] *= $L", dy, ActivationCode.derivative(op.activation(), "y"));
            b.endControlFlow();
        }
        if (p.containsKey("bias")) {
            b.addStatement("$T.sumColumns($L, n, $L, grads, $L)", JavaEmitContext.OPS, dy, out, p.get("bias").offset());
        }
        b.add("// dW[O][I] = dz^T x x\n");
        b.addStatement("$T.transpose($L, 0, n, $L, dzT$L, 0)", JavaEmitContext.GEMM, dy, out, k);
        b.addStatement("gemm.multiply(par, $L, $L, n, dzT$L, 0, n, $L, 0, $L, grads, $L, $L, false)", out, in, k,
                ctx.value(op.input()), in, p.get("weight").offset(), in);
        if (inputGradient) {
            b.add("// dx[n][I] = dz x W\n");
            b.addStatement("gemm.multiply(par, n, $L, $L, $L, 0, $L, params, $L, $L, $L, 0, $L, false)", in, out, dy, out,
                    p.get("weight").offset(), in, ctx.gradSlot(op, op.input()), in);
        }
        return b.build();
    }
}
