package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.layers.Flatten;
import dev.cnnc.compiler.layers.GlobalPool;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.layers.Softmax;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.JoinKind;
import dev.cnnc.compiler.model.Shape;
import java.util.ArrayList;
import java.util.List;

/** One op per layer, in order; a residual becomes its main path, its shortcut, and an add. */
final class Linearize {
    private final List<Op> ops = new ArrayList<>();
    private int nextId = 1;
    private int dropouts;

    private Linearize() {
    }

    static KernelPlan plan(CheckedModel model) {
        Linearize l = new Linearize();
        Tensor input = new Tensor(0, model.input());
        Tensor out = l.nodes(model.nodes(), input);
        // The softmax that ends the model is folded into the loss when training.
        if (!l.ops.isEmpty() && l.ops.get(l.ops.size() - 1) instanceof Op.SoftmaxOp s) {
            l.ops.set(l.ops.size() - 1, new Op.SoftmaxOp(true, s.input(), s.output(), s.spans(), s.flops()));
        }
        return new KernelPlan(model, ParamLayout.of(model), input, l.ops, out);
    }

    private Tensor nodes(List<CheckedNode> nodes, Tensor in) {
        for (CheckedNode n : nodes) {
            if (n instanceof CheckedNode.Layer l) {
                in = layer(l, in);
            } else if (n instanceof CheckedNode.Join j) {
                in = join(j, in);
            } else if (n instanceof CheckedNode.Residual r) {
                Tensor main = nodes(r.main(), in);
                Tensor shortcut = nodes(r.shortcut(), in);
                Tensor sum = new Tensor(nextId++, r.output());
                ops.add(new Op.AddOp(main, shortcut, sum, List.of(r.span()), r.addFlops()));
                in = sum;
            }
        }
        return in;
    }

    /** A join: its paths one after another, then a concat, or a chain of adds or multiplies (gates last). */
    private Tensor join(CheckedNode.Join j, Tensor in) {
        List<Tensor> ends = new java.util.ArrayList<>();
        for (List<CheckedNode> path : j.paths()) {
            ends.add(nodes(path, in));
        }
        List<Span> spans = List.of(j.span());
        if (j.kind() == JoinKind.CONCAT) {
            Tensor out = new Tensor(nextId++, j.output());
            ops.add(new Op.ConcatOp(ends, out, spans, j.flops()));
            return out;
        }
        if (j.kind() == JoinKind.MULTIPLY) {
            // full-size operands first, so every product's b is either a's shape or a gate
            ends.sort(java.util.Comparator.comparingLong((Tensor t) -> -t.shape().elements()));
        }
        Tensor acc = ends.get(0);
        for (int p = 1; p < ends.size(); p++) {
            Shape shape = p == ends.size() - 1 ? j.output() : acc.shape();
            Tensor out = new Tensor(nextId++, shape);
            long flops = acc.shape().elements();
            ops.add(j.kind() == JoinKind.ADD ? new Op.AddOp(acc, ends.get(p), out, spans, flops) : new Op.MulOp(acc, ends.get(p), out, spans, flops));
            acc = out;
        }
        return acc;
    }

    private Tensor layer(CheckedNode.Layer l, Tensor in) {
        Tensor out = new Tensor(nextId++, l.output());
        List<Span> spans = List.of(l.span());
        Op op;
        if (l.spec() instanceof Conv c && !c.padding().symmetric()) {
            // uneven padding: pad the input once, then convolve without padding
            int[] p = c.sides();
            Shape s = in.shape();
            Tensor padded = new Tensor(nextId++, Shape.spatial(s.height() + p[0] + p[1], s.width() + p[2] + p[3], s.channels()));
            ops.add(new Op.PadOp(p[0], p[1], p[2], p[3], in, padded, spans, 0));
            Conv u = c.unpadded();
            op = u.plain() ? new Op.ConvOp(u, l.name(), padded, l.output(), Op.Epilogue.NONE, out, spans, l.flops())
                    : new Op.GroupedConvOp(u, l.name(), padded, null, out, spans, l.flops());
        } else if (l.spec() instanceof Conv c) {
            op = c.plain() ? new Op.ConvOp(c, l.name(), in, l.output(), Op.Epilogue.NONE, out, spans, l.flops())
                    : new Op.GroupedConvOp(c, l.name(), in, null, out, spans, l.flops());
        } else if (l.spec() instanceof Dense d) {
            op = new Op.DenseOp(d, l.name(), in, null, out, spans, l.flops());
        } else if (l.spec() instanceof Pool p) {
            int[] pad = p.sides();
            op = new Op.PoolOp(p.op(), p.kernelHeight(), p.kernelWidth(), p.strideHeight(), p.strideWidth(), pad[0], pad[2], pad[1], pad[3],
                    in, out, spans, l.flops());
        } else if (l.spec() instanceof GlobalPool g) {
            int h = (int) in.shape().height();
            int w = (int) in.shape().width();
            op = new Op.PoolOp(g.max() ? Pool.Op.MAX : Pool.Op.AVG, h, w, 1, 1, 0, 0, 0, 0, in, out, spans, l.flops());
        } else if (l.spec() instanceof Activation a) {
            op = new Op.ActivationOp(a, in, out, spans, l.flops());
        } else if (l.spec() instanceof BatchNorm b) {
            op = new Op.BatchNormOp(b, l.name(), in, null, out, spans, l.flops());
        } else if (l.spec() instanceof Dropout d) {
            op = new Op.DropoutOp(d, dropouts++, in, out, spans, l.flops());
        } else if (l.spec() instanceof Flatten) {
            op = new Op.FlattenOp(in, out, spans, l.flops());
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.Upsample u) {
            op = new Op.UpsampleOp(u, in, out, spans, l.flops());
        } else if (l.spec() instanceof Softmax) {
            op = new Op.SoftmaxOp(false, in, out, spans, l.flops());
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.ConvTranspose t) {
            op = new Op.TransposedConvOp(t, l.name(), in, out, spans, l.flops());
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.PRelu pr) {
            op = new Op.PReluOp(pr, l.name(), in, out, spans, l.flops());
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.ChannelMap m) {
            op = new Op.ChannelMapOp(m, m.sources((int) in.shape().channels()), in, out, spans, l.flops());
        } else {
            throw new IllegalStateException("no lowering for " + l.spec().kind());
        }
        ops.add(op);
        return out;
    }
}
