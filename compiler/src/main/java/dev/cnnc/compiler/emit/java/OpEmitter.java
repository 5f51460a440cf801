package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.Op;

/**
 * Emits one kind of op: declares its scratch buffers, and writes its forward and backward as
 * statements that use {@code n} (examples in this batch), {@code training}, {@code par} (the
 * thread pool), {@code gemm}, {@code params}, {@code grads} and {@code state}.
 */
interface OpEmitter<T extends Op> {
    void declare(T op, int index, JavaEmitContext ctx);

    CodeBlock forward(T op, int index, JavaEmitContext ctx);

    /**
     * Parameter gradients and, where {@code inputGradient} is true, the input's gradient,
     * written to {@code ctx.gradSlot(op, input)}; the output's gradient is {@code ctx.grad(output)}.
     */
    CodeBlock backward(T op, int index, JavaEmitContext ctx, boolean inputGradient);
}
