package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds what follows a conv (an activation, a pool, an activation, in the order written) or a
 * dense or grouped conv (an activation) or a batchnorm (a relu or relu6) into that op, so bias, activation and pooling happen in one pass over
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
                    } else if (next instanceof Op.PoolOp p && pool == null) {
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
            } else if (op instanceof Op.DenseOp d && d.activation() == null && i + 1 < in.size()
                    && in.get(i + 1) instanceof Op.ActivationOp a && a.activation().function().fromOutput() && a.input().equals(d.output())
                    && singleConsumer(plan, d.output())) {
                List<Span> spans = new ArrayList<>(d.spans());
                spans.addAll(a.spans());
                out.add(new Op.DenseOp(d.dense(), d.name(), d.input(), a.activation(), a.output(), spans, d.flops() + a.flops()));
                i++;
                continue;
            } else if (op instanceof Op.BatchNormOp bn && bn.activation() == null && i + 1 < in.size()
                    && in.get(i + 1) instanceof Op.ActivationOp a && Op.BatchNormOp.clamps(a.activation()) && a.input().equals(bn.output())
                    && singleConsumer(plan, bn.output())) {
                List<Span> spans = new ArrayList<>(bn.spans());
                spans.addAll(a.spans());
                out.add(new Op.BatchNormOp(bn.norm(), bn.name(), bn.input(), a.activation(), a.output(), spans, bn.flops() + a.flops()));
                i++;
                continue;
            } else if (op instanceof Op.GroupedConvOp g && g.activation() == null && i + 1 < in.size()
                    && in.get(i + 1) instanceof Op.ActivationOp a && a.activation().function().fromOutput() && a.input().equals(g.output())
                    && singleConsumer(plan, g.output())) {
                List<Span> spans = new ArrayList<>(g.spans());
                spans.addAll(a.spans());
                out.add(new Op.GroupedConvOp(g.conv(), g.name(), g.input(), a.activation(), a.output(), spans, g.flops() + a.flops()));
                i++;
                continue;
            }
            out.add(op);
        }
        return plan.withOps(out);
    }

    private static boolean singleConsumer(KernelPlan plan, Tensor t) {
        return plan.consumers(t).size() == 1;
    }
}
