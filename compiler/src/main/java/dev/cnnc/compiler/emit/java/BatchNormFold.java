package dev.cnnc.compiler.emit.java;

import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Op;
import java.util.Optional;

/**
 * In inference, a batchnorm straight after a grouped conv (its only reader, no activation between)
 * is an affine map per filter with fixed coefficients, so the conv writes
 * clamp(conv * scale + shift) straight into the batchnorm's output (its relu or relu6 included):
 * one pass over the tensor instead of three. Training keeps both ops: the batchnorm needs the
 * conv's own output for its statistics and its backward. Both emitters ask this class, so they
 * agree on which batchnorm is folded.
 */
final class BatchNormFold {
    private BatchNormFold() {
    }

    /** The batchnorm folded into {@code conv}'s inference forward, if any. */
    static Optional<Op.BatchNormOp> into(KernelPlan plan, Op.GroupedConvOp conv) {
        int k = plan.ops().indexOf(conv);
        if (conv.activation() != null || k + 1 >= plan.ops().size() || plan.consumers(conv.output()).size() != 1) {
            return Optional.empty();
        }
        return plan.ops().get(k + 1) instanceof Op.BatchNormOp bn && bn.input().equals(conv.output()) ? Optional.of(bn) : Optional.empty();
    }

    /** Whether {@code bn}'s inference forward is done by the grouped conv before it. */
    static boolean folded(KernelPlan plan, Op.BatchNormOp bn) {
        int k = plan.ops().indexOf(bn);
        return k > 0 && plan.ops().get(k - 1) instanceof Op.GroupedConvOp conv && into(plan, conv).map(b -> b == bn).orElse(false);
    }
}
