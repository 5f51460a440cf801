package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import java.util.Map;
import java.util.Optional;

/**
 * In inference, a batchnorm straight after a conv (its only reader, no activation or pool
 * between) is an affine map per filter with fixed coefficients, so the conv writes
 * clamp(conv * scale + shift) straight into the batchnorm's output (its relu or relu6 included),
 * while its output is still in cache, and the batchnorm does nothing: one pass over the tensor
 * instead of three. Training keeps both ops: the batchnorm needs the conv's own output for its
 * statistics and its backward. Both emitters ask this class, so they agree on what is folded.
 */
final class BatchNormFold {
    private BatchNormFold() {
    }

    /** The batchnorm folded into a conv's (or grouped conv's) inference forward, if any. */
    static Optional<Op.BatchNormOp> into(KernelPlan plan, Op conv) {
        boolean bare = conv instanceof Op.GroupedConvOp g ? g.activation() == null : conv instanceof Op.ConvOp c && c.epilogue().isEmpty();
        int k = plan.ops().indexOf(conv);
        if (!bare || k + 1 >= plan.ops().size() || plan.consumers(conv.output()).size() != 1) {
            return Optional.empty();
        }
        return plan.ops().get(k + 1) instanceof Op.BatchNormOp bn && bn.input().equals(conv.output()) ? Optional.of(bn) : Optional.empty();
    }

    /** Whether {@code bn}'s inference forward is done by the conv before it. */
    static boolean folded(KernelPlan plan, Op.BatchNormOp bn) {
        int k = plan.ops().indexOf(bn);
        return k > 0 && into(plan, plan.ops().get(k - 1)).map(b -> b == bn).orElse(false);
    }

    /**
     * Declares foldScale{k} and foldShift{k} and computes them from the running statistics: per
     * filter, scale = gamma / sqrt(var + eps), shift = beta + (bias - mean) * scale.
     */
    static CodeBlock coefficients(Op.BatchNormOp bn, int k, String convName, int filters, JavaEmitContext ctx) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(convName);
        Map<String, ParamLayout.Entry> n = ctx.plan.params().of(bn.name());
        ctx.floats("foldScale" + k, Integer.toString(filters));
        ctx.floats("foldShift" + k, Integer.toString(filters));
        return CodeBlock.builder()
                .add("// $L folded in: per filter, y = conv * scale + shift (running statistics; the bias in the shift)$L\n", bn.name(),
                        bn.activation() == null ? "" : ", then " + bn.activation().describe())
                .beginControlFlow("for (int f = 0; f < $L; f++)", filters)
                .addStatement("final float scale = (float) (params[$L + f] / Math.sqrt(state[$L + f] + $L))", n.get("weight").offset(),
                        n.get("running_var").offset(), JavaEmitContext.f(bn.norm().eps()))
                .addStatement("foldScale$L[f] = scale", k)
                .addStatement("foldShift$L[f] = params[$L + f] + ($L - state[$L + f]) * scale", k, n.get("bias").offset(),
                        p.containsKey("bias") ? "params[" + p.get("bias").offset() + " + f]" : "0f", n.get("running_mean").offset())
                .endControlFlow().build();
    }
}
