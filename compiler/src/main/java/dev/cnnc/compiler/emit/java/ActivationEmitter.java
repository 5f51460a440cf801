package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.lower.Op;

/** An activation that could not be fused: one element-wise pass each way, split across the threads. */
final class ActivationEmitter implements OpEmitter<Op.ActivationOp> {
    /** Elements per part: a part below this costs more to hand over than to compute. */
    private static final int GRAIN = dev.cnnc.runtime.kernels.Parallel.MIN_WORK;
    private static final com.palantir.javapoet.ClassName ACTIVATIONS = com.palantir.javapoet.ClassName.get("dev.cnnc.runtime.kernels", "Activations");

    @Override
    public void declare(Op.ActivationOp op, int k, JavaEmitContext ctx) {
    }

    @Override
    public CodeBlock forward(Op.ActivationOp op, int k, JavaEmitContext ctx) {
        return applyPass(op.activation(), ctx.value(op.input()), ctx.value(op.output()), op.input().perExample());
    }

    /** out[i] = f(in[i]) over n * perExample values, split across the threads; in and out may be one buffer. */
    static CodeBlock applyPass(Activation a, String in, String out, long perExample) {
        return CodeBlock.builder()
                .beginControlFlow("par.forRange(n * $L, $L, (from, to) ->", perExample, GRAIN)
                .beginControlFlow("for (int i = from; i < to; i++)")
                .addStatement("final float v = $L[i]", in)
                .addStatement("$L[i] = $L", out, ActivationCode.apply(a, "v"))
                .endControlFlow().unindent().add("});\n").build();
    }

    /**
     * dx[i] = dy[i] * f'(v[i]) over n * perExample values, v the activation's output (or, for silu
     * and hardswish, its input); dx may be dy.
     */
    static CodeBlock derivativePass(Activation a, String v, String dy, String dx, long perExample) {
        return CodeBlock.builder()
                .beginControlFlow("par.forRange(n * $L, $L, (from, to) ->", perExample, GRAIN)
                .add(derivativeRange(a, v, dy, dx))
                .unindent().add("});\n").build();
    }

    /** relu and relu6: a derivative of 0 or 1 from the output alone, a blend. */
    static boolean isClamp(Activation a) {
        return a.function() == Activation.Function.RELU || a.function() == Activation.Function.RELU6;
    }

    /** The statements of {@link #derivativePass} over [from, to), for a caller's own split. */
    static CodeBlock derivativeRange(Activation a, String v, String dy, String dx) {
        if (isClamp(a)) {
            // a clamp's derivative as a vector blend: the ternary below is a mispredicted branch on half the elements
            return CodeBlock.of("$T.clampGradient(gemm, $L, $L, $L, $L, from, to);\n", ACTIVATIONS, dy, v, ActivationCode.clampBounds(a), dx);
        }
        boolean fromOutput = a.function().fromOutput();
        return CodeBlock.builder()
                .beginControlFlow("for (int i = from; i < to; i++)")
                .addStatement("final float $L = $L[i]", fromOutput ? "y" : "x", v)
                .addStatement("$L[i] = $L[i] * $L", dx, dy, fromOutput ? ActivationCode.derivative(a, "y") : ActivationCode.inputDerivative(a, "x"))
                .endControlFlow().build();
    }

    @Override
    public CodeBlock backward(Op.ActivationOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        if (!inputGradient) {
            return CodeBlock.of("");
        }
        boolean fromOutput = op.activation().function().fromOutput();
        ctx.inPlace(ctx.gradSlot(op, op.input()), ctx.grad(op.output())); // derivativePass: dx may be dy
        return derivativePass(op.activation(), ctx.value(fromOutput ? op.output() : op.input()), ctx.grad(op.output()),
                ctx.gradSlot(op, op.input()), op.input().perExample());
    }
}
