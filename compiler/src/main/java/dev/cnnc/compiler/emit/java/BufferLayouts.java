package dev.cnnc.compiler.emit.java;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which buffers share arrays: activations, scratch and gradients, each in layouts of their own. A
 * pass is a list of steps (copy the input in, each op's forward, ..., each op's backward); a
 * buffer is live from the first step whose code names it to the last, and buffers whose ranges do
 * not meet share one array as large as the largest of them. Liveness is read from the generated
 * code itself, not from the ops' inputs and outputs: a fused op writes and reads buffers of
 * tensors that are not its own (a conv writing its batchnorm's output, a pool's argmax), and
 * every name its code holds is a buffer it may touch.
 *
 * <p>Activations and scratch have two layouts: for inference the steps are the forward pass only,
 * so an activation dies with its last reader and a chain needs two arrays; for training they run
 * on through the backward pass, so what backward reads stays, and only what one side alone needs
 * (the weight gradient's per-slot parts of each conv, the folded batchnorm's coefficients) is
 * shared. The generated class takes the inference layout until its first training forward, then
 * the training one for good. Gradients have one, over the backward pass (from the output's
 * gradient copied in to the input's copied out), allocated by the first backward.
 *
 * <p>A buffer an op writes in place of one it reads ({@link JavaEmitContext#inPlace}: each value
 * written from the value read at its place, as batchnorm's and relu's input gradients from their
 * output's) may also take the array of the one it reads when that one's range ends at the very
 * step the other's begins.
 */
final class BufferLayouts {
    /** An array shared by buffers: its element type ("float[]") and the size expressions of its buffers. */
    record Pool(String name, String type, List<String> buffers, List<String> sizes) {
    }

    private record Live(String buffer, String type, String size, long estimate, int from, int to) {
        boolean meets(Live o) {
            return from <= o.to && o.from <= to;
        }

        /** Whether one of the two ends at the step where the other begins. */
        boolean handsOver(Live o) {
            return to == o.from || o.to == from;
        }
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private BufferLayouts() {
    }

    /**
     * The pools of {@code candidates} (name -> {type, size expression}) given the code of each step
     * of a pass. Candidates no step names are left out: the caller keeps them as they were.
     */
    static List<Pool> of(String prefix, Map<String, String[]> candidates, List<String> steps) {
        return of(prefix, candidates, steps, Set.of());
    }

    /** As above, with the pairs {written, read} of buffers written in place of the ones read. */
    static List<Pool> of(String prefix, Map<String, String[]> candidates, List<String> steps, Set<List<String>> inPlace) {
        Map<String, int[]> range = new LinkedHashMap<>();
        for (int s = 0; s < steps.size(); s++) {
            for (String name : names(steps.get(s), candidates.keySet())) {
                int step = s;
                range.merge(name, new int[] {step, step}, (a, b) -> new int[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
            }
        }
        List<Live> live = new ArrayList<>();
        for (Map.Entry<String, int[]> r : range.entrySet()) {
            String[] declared = candidates.get(r.getKey());
            live.add(new Live(r.getKey(), declared[0], declared[1], estimate(declared[1]), r.getValue()[0], r.getValue()[1]));
        }
        // largest first, each into the first pool of its type none of whose buffers it meets: the large
        // arrays are laid out first and the small ones fill in around them
        live.sort(Comparator.comparingLong(Live::estimate).reversed().thenComparingInt(Live::from).thenComparing(Live::buffer));
        List<List<Live>> pools = new ArrayList<>();
        for (Live l : live) {
            // the pool of a buffer it is written in place of (or that is written in place of it) first: the two are
            // one size, and that array is free at the very step this one needs it; else the first that fits
            List<List<Live>> order = new ArrayList<>();
            pools.stream().filter(pool -> pool.stream().anyMatch(o -> partners(inPlace, l, o))).forEach(order::add);
            order.addAll(pools);
            List<Live> chosen = null;
            for (List<Live> pool : order) {
                if (pool.get(0).type().equals(l.type()) && pool.stream().noneMatch(o -> l.meets(o) && !(l.handsOver(o) && partners(inPlace, l, o)))) {
                    chosen = pool;
                    break;
                }
            }
            if (chosen == null) {
                chosen = new ArrayList<>();
                pools.add(chosen);
            }
            chosen.add(l);
        }
        List<Pool> out = new ArrayList<>();
        for (int p = 0; p < pools.size(); p++) {
            List<Live> members = pools.get(p);
            out.add(new Pool(prefix + p, members.get(0).type(), members.stream().map(Live::buffer).toList(),
                    members.stream().map(Live::size).distinct().toList()));
        }
        return out;
    }

    /** Whether one of the two is written in place of the other. */
    private static boolean partners(Set<List<String>> inPlace, Live a, Live b) {
        return inPlace.contains(List.of(a.buffer(), b.buffer())) || inPlace.contains(List.of(b.buffer(), a.buffer()));
    }

    /** The candidates {@code code} names. */
    static Set<String> names(String code, Set<String> candidates) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = NAME.matcher(code);
        while (m.find()) {
            if (candidates.contains(m.group())) {
                out.add(m.group());
            }
        }
        return out;
    }

    /**
     * A size expression's value for a typical build (64 examples, 2 threads), only to order the
     * buffers: the arrays themselves are sized by the expressions at run time.
     */
    static long estimate(String size) {
        String s = size.replace("Parallel.slots(threads)", "8").replace("maxBatch", "64").replace("threads", "2")
                .replaceAll("gemm\\.packedSize\\(([0-9]+), ([0-9]+)\\)", "$1 * $2");
        long product = 1;
        for (String factor : s.split("\\*")) {
            try {
                product *= Long.parseLong(factor.trim());
            } catch (NumberFormatException e) {
                return 1; // an expression of another form: ordered last, sized right all the same
            }
        }
        return product;
    }
}
