package dev.cnnc.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Rings of {@link RingAllReduce} among threads of this JVM on loopback, their addresses exchanged as a barrier's allGather would. */
final class ThreadRings {
    /** What one rank does with its connected ring. */
    interface Work<T> {
        T run(int rank, RingAllReduce ring) throws Exception;
    }

    private ThreadRings() {
    }

    /** Runs {@code work} on {@code size} connected ranks, a thread each; each rank's result in rank order (the first failure thrown). */
    static <T> List<T> run(int size, Work<T> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(size);
        AtomicReferenceArray<String> addresses = new AtomicReferenceArray<>(size);
        CyclicBarrier gathered = new CyclicBarrier(size);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (RingAllReduce ring = new RingAllReduce(rank, size, "127.0.0.1")) {
                        ring.connect(address -> {
                            addresses.set(rank, address);
                            try {
                                gathered.await();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                            String[] all = new String[size];
                            for (int i = 0; i < size; i++) {
                                all[i] = addresses.get(i);
                            }
                            return all;
                        }, 20_000);
                        return work.run(rank, ring);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
