package dev.cnnc.compiler.emit.java;

import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which gradient buffers may share one array: a tensor's gradient (and each of its readers' slots)
 * is live in the backward pass only from the backward of the last op that writes it (a reader of
 * the tensor) down to the backward of the op that produced the tensor, which reads it. Backward
 * runs the ops last to first, so buffers whose op ranges do not meet never hold a value at the
 * same time, and one array as large as the largest of them serves them all: a chain needs two,
 * a residual block a few, where every tensor had its own (as much memory as the activations).
 *
 * <p>The network input's and output's gradients keep arrays of their own: the caller reads the
 * one and the loss writes the other. Greedy interval colouring by birth (in backward order) gives
 * the fewest arrays for such interval sets.
 */
final class GradientSharing {
    /** A gradient buffer and the op range [from, to] (op indices) in which it is live. */
    private record Live(String buffer, long perExample, int from, int to) {
    }

    /** An array shared by buffers, as large as the largest (per example). */
    record Pool(String name, long perExample, List<String> buffers) {
    }

    private GradientSharing() {
    }

    /** The arrays the gradient buffers of {@code plan} share (buffers not listed keep their own). */
    static List<Pool> of(KernelPlan plan, JavaEmitContext ctx) {
        Map<String, Live> live = new LinkedHashMap<>();
        List<Tensor> tensors = plan.tensors();
        for (Tensor t : tensors) {
            if (t.id() == plan.input().id() || t.id() == plan.output().id()) {
                continue;
            }
            int producer = -1;
            for (int k = 0; k < plan.ops().size(); k++) {
                if (plan.ops().get(k).output().id() == t.id()) {
                    producer = producer < 0 ? k : Math.min(producer, k);
                }
            }
            List<int[]> readers = plan.consumers(t);
            if (producer < 0 || readers.isEmpty()) {
                continue;
            }
            int last = producer;
            for (int[] r : readers) {
                last = Math.max(last, r[0]);
            }
            merge(live, new Live(ctx.grad(t), t.perExample(), producer, last));
            for (int r = 1; r < readers.size(); r++) {
                merge(live, new Live(ctx.grad(t) + "_" + r, t.perExample(), producer, Math.max(producer, readers.get(r)[0])));
            }
        }
        // born first in backward order = the latest op range end first
        List<Live> order = new ArrayList<>(live.values());
        order.sort(Comparator.comparingInt(Live::to).reversed().thenComparing(Live::buffer));
        List<List<Live>> pools = new ArrayList<>();
        List<Integer> freeBelow = new ArrayList<>(); // a pool is free for a buffer whose range ends below this op
        for (Live l : order) {
            int chosen = -1;
            for (int p = 0; p < pools.size(); p++) {
                if (l.to() < freeBelow.get(p)) {
                    chosen = p;
                    break;
                }
            }
            if (chosen < 0) {
                pools.add(new ArrayList<>());
                freeBelow.add(Integer.MIN_VALUE);
                chosen = pools.size() - 1;
            }
            pools.get(chosen).add(l);
            freeBelow.set(chosen, l.from());
        }
        List<Pool> out = new ArrayList<>();
        for (int p = 0; p < pools.size(); p++) {
            long size = pools.get(p).stream().mapToLong(Live::perExample).max().orElse(0);
            out.add(new Pool("gradientPool" + p, size, pools.get(p).stream().map(Live::buffer).toList()));
        }
        return out;
    }

    private static void merge(Map<String, Live> live, Live l) {
        live.merge(l.buffer(), l, (a, b) -> new Live(a.buffer(), Math.max(a.perExample(), b.perExample()), Math.min(a.from(), b.from()),
                Math.max(a.to(), b.to())));
    }
}
