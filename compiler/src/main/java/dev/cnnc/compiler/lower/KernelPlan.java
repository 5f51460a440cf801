package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.model.CheckedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The model as backends see it: ops in execution order over tensors, with the parameter
 * layout. Immutable; passes return new plans.
 */
public record KernelPlan(CheckedModel model, ParamLayout params, Tensor input, List<Op> ops, Tensor output) {
    public KernelPlan {
        ops = List.copyOf(ops);
    }

    public KernelPlan withOps(List<Op> newOps) {
        return new KernelPlan(model, params, input, newOps, newOps.isEmpty() ? input : newOps.get(newOps.size() - 1).output());
    }

    /** Every tensor, the input first. */
    public List<Tensor> tensors() {
        List<Tensor> out = new ArrayList<>();
        out.add(input);
        for (Op op : ops) {
            out.add(op.output());
        }
        return out;
    }

    /** The ops reading a tensor, with the position of the tensor among each op's inputs. */
    public List<int[]> consumers(Tensor t) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            List<Tensor> in = ops.get(i).inputs();
            for (int k = 0; k < in.size(); k++) {
                if (in.get(k).id() == t.id()) {
                    out.add(new int[] {i, k});
                }
            }
        }
        return out;
    }

    public boolean endsWithSoftmax() {
        return !ops.isEmpty() && ops.get(ops.size() - 1) instanceof Op.SoftmaxOp s && s.last();
    }

    public int dropoutCount() {
        return (int) ops.stream().filter(o -> o instanceof Op.DropoutOp).count();
    }
}
