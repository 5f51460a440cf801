package dev.cnnc.runtime.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time per kernel, for finding where a device spends a step. Off unless the JVM runs with
 * {@code -Dcnnc.opencl.profile=true}: each launch is then waited for (which serialises the
 * queue), and a table sorted by total time is printed to stderr when the JVM exits. A kernel's
 * first launch is left out: drivers such as PoCL compile the kernel then.
 */
final class KernelTimes {
    static final KernelTimes ENABLED = Boolean.getBoolean("cnnc.opencl.profile") ? new KernelTimes() : null;

    private final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

    private KernelTimes() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::print));
    }

    void add(String kernel, long elapsedNanos) {
        if (calls.putIfAbsent(kernel, new LongAdder()) == null) {
            return;
        }
        nanos.computeIfAbsent(kernel, k -> new LongAdder()).add(elapsedNanos);
        calls.get(kernel).increment();
    }

    private void print() {
        List<String> names = new ArrayList<>(nanos.keySet());
        names.sort((a, b) -> Long.compare(nanos.get(b).sum(), nanos.get(a).sum()));
        double total = nanos.values().stream().mapToLong(LongAdder::sum).sum();
        System.err.printf("%-28s %10s %12s %7s%n", "kernel", "calls", "ms per call", "share");
        for (String name : names) {
            long t = nanos.get(name).sum();
            long c = calls.get(name).sum();
            System.err.printf("%-28s %10d %12.3f %6.1f%%%n", name, c, t / 1e6 / c, 100 * t / total);
        }
    }
}
