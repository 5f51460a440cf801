package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds what follows a conv (an activation, a pool, an activation, in the order written) or a
 * dense, grouped conv or residual add (an activation) or a batchnorm (a relu or relu6) into that op, so bias, activation and pooling happen in one pass over
 * the product's output instead of one pass each; the backward is fused the same way. A tensor
 * read by two ops (a residual's fork) is never folded away.
 */
final class FuseEpilogues implements Pass {
    @Override
    public String name() {
        return "fuse-epilogues";
    }

    @Override
    public KernelPlan apply(KernelPlan plan) {
        List<Op> in = plan.ops();
        List<Op> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Op op = in.get(i);
            if (op instanceof Op.ConvOp c && c.epilogue().isEmpty()) {
                Activation before = null;
                Op.PoolOp pool = null;
                Activation after = null;
                Tensor last = c.output();
                List<Span> spans = new ArrayList<>(c.spans());
                long flops = c.flops();
                int j = i + 1;
                while (j < in.size() && singleConsumer(plan, last) && in.get(j).inputs().equals(List.of(last))) {
                    Op next = in.get(j);
                    // an epilogue runs the activation in place, so its derivative must follow from the output
                    if (next instanceof Op.ActivationOp a && !a.activation().function().fromOutput()) {
                        break;
                    }
                    if (next instanceof Op.ActivationOp a && pool == null && before == null) {
                        before = a.activation();
                    } else if (next instanceof Op.PoolOp p && pool == null && p.plain()) {
                        pool = p;
                    } else if (next instanceof Op.ActivationOp a && pool != null && after == null) {
                        after = a.activation();
                    } else {
                        break;
                    }
                    spans.addAll(next.spans());
                    flops += next.flops();
                    last = next.output();
                    j++;
                }
                if (j > i + 1) {
                    var poolSpec = pool == null ? null : new dev.cnnc.compiler.layers.Pool(pool.kind(), pool.kh(), pool.kw(), pool.sh(),
                            pool.sw(), dev.cnnc.compiler.syntax.Padding.explicit(pool.ph(), pool.pw()));
                    out.add(new Op.ConvOp(c.conv(), c.name(), c.input(), c.convShape(),
                            new Op.Epilogue(before, poolSpec, pool == null ? null : pool.output().shape(), after), last, spans, flops));
                    i = j - 1;
                    continue;
                }
            } else if (op instanceof Op.DenseOp d && d.activation() == null) {
                Op.ActivationOp a = followingActivation(plan, i, d.output(), f -> f.fromOutput());
                if (a != null) {
                    out.add(new Op.DenseOp(d.dense(), d.name(), d.input(), a.activation(), a.output(), spans(d, a), d.flops() + a.flops()));
                    i++;
                    continue;
                }
            } else if (op instanceof Op.BatchNormOp bn && bn.activation() == null) {
                Op.ActivationOp a = followingActivation(plan, i, bn.output(), f -> f == Activation.Function.RELU || f == Activation.Function.RELU6);
                if (a != null) {
                    out.add(new Op.BatchNormOp(bn.norm(), bn.name(), bn.input(), a.activation(), a.output(), spans(bn, a), bn.flops() + a.flops()));
                    i++;
                    continue;
                }
            } else if (op instanceof Op.AddOp add && add.activation() == null) {
                // a residual's add and the relu after it: one pass each way instead of two
                Op.ActivationOp a = followingActivation(plan, i, add.output(), f -> f.fromOutput());
                if (a != null) {
                    out.add(new Op.AddOp(add.a(), add.b(), a.activation(), a.output(), spans(add, a), add.flops() + a.flops()));
                    i++;
                    continue;
                }
            } else if (op instanceof Op.GroupedConvOp g && g.activation() == null) {
                Op.ActivationOp a = followingActivation(plan, i, g.output(), f -> f.fromOutput());
                if (a != null) {
                    out.add(new Op.GroupedConvOp(g.conv(), g.name(), g.input(), a.activation(), a.output(), spans(g, a), g.flops() + a.flops()));
                    i++;
                    continue;
                }
            }
            out.add(op);
        }
        return plan.withOps(out);
    }

    /**
     * The activation right after op {@code i}, if it is the only reader of {@code output} and its
     * function is one the op can apply in its own pass; else null.
     */
    private static Op.ActivationOp followingActivation(KernelPlan plan, int i, Tensor output,
                                                      java.util.function.Predicate<Activation.Function> fusable) {
        List<Op> ops = plan.ops();
        return i + 1 < ops.size() && ops.get(i + 1) instanceof Op.ActivationOp a && fusable.test(a.activation().function())
                && a.input().equals(output) && singleConsumer(plan, output) ? a : null;
    }

    private static List<Span> spans(Op op, Op.ActivationOp a) {
        List<Span> spans = new ArrayList<>(op.spans());
        spans.addAll(a.spans());
        return spans;
    }

    private static boolean singleConsumer(KernelPlan plan, Tensor t) {
        return plan.consumers(t).size() == 1;
    }
}
