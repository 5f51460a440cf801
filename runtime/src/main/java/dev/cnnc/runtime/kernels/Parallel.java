package dev.cnnc.runtime.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a loop over [0, n) on a fixed set of threads. Ranges are split statically (thread t
 * always gets the same part), so results do not depend on timing: the same thread count gives
 * the same floating-point results, bit for bit. The caller runs the first part itself.
 */
public final class Parallel implements AutoCloseable {
    /** The body of a loop over [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** A loop body over a part [from, to) that also knows which part it is (0 .. threads - 1). */
    @FunctionalInterface
    public interface Part {
        void run(int from, int to, int part);
    }

    /**
     * The body of a loop over groups of examples [from, to): {@code inner} is what the body's own
     * kernels split across (this pool when the group is the whole batch, else one thread), and
     * {@code part} names the per-thread buffers the group may use.
     */
    @FunctionalInterface
    public interface Chunk {
        void run(int from, int to, Parallel inner, int part);
    }

    /** One thread, no workers: the inner pool of a chunk that already runs on its own thread. */
    public static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final Worker[] workers;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, is " + threads);
        }
        this.threads = threads;
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("cnnc-worker-" + (i + 1));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Splits [0, n) into up to {@code threads} parts of at least {@code grain} items each. */
    public void forRange(int n, int grain, Range body) {
        forParts(n, grain, (from, to, part) -> body.run(from, to));
    }

    /**
     * Examples [0, n) in groups of {@code chunk}, the groups split across the threads (each thread
     * runs its groups one after another, part = its index); a batch of one group runs on the caller
     * with this pool as the inner one, so a single image still uses every thread.
     */
    public void forChunks(int n, int chunk, Chunk body) {
        int chunks = (n + chunk - 1) / chunk;
        if (threads == 1 || chunks == 1) {
            for (int q = 0; q < chunks; q++) {
                body.run(q * chunk, Math.min(n, (q + 1) * chunk), this, 0);
            }
            return;
        }
        forParts(chunks, 1, (from, to, part) -> {
            for (int q = from; q < to; q++) {
                body.run(q * chunk, Math.min(n, (q + 1) * chunk), SERIAL, part);
            }
        });
    }

    /** {@link #forRange}, telling each part its index. */
    public void forParts(int n, int grain, Part body) {
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (parts <= 1) {
            body.run(0, n, 0);
            return;
        }
        AtomicInteger left = new AtomicInteger(parts - 1);
        Throwable[] failure = new Throwable[1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            int part = p;
            workers[p - 1].submit(() -> {
                try {
                    body.run(from, to, part);
                } catch (Throwable t) {
                    synchronized (failure) {
                        failure[0] = t;
                    }
                } finally {
                    left.decrementAndGet();
                }
            });
        }
        try {
            body.run(0, (int) ((long) n / parts), 0);
        } finally {
            // The parts are about equal, so the others finish within microseconds of this one: spin
            // rather than park (waking a parked thread costs tens of microseconds on a VM).
            long start = System.nanoTime();
            while (left.get() > 0) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
        synchronized (failure) {
            if (failure[0] instanceof RuntimeException r) {
                throw r;
            }
            if (failure[0] instanceof Error e) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            w.interrupt();
        }
    }

    /**
     * How long a worker spins before it parks: a forward or backward pass hands out work every few
     * tens of microseconds, and waking a parked thread takes about as long on a VM.
     */
    private static final long SPIN_NANOS = 300_000;

    /** Below about this many elementary operations, a part is not worth handing to another thread. */
    public static final int MIN_WORK = 1 << 13;

    /** The grain for items of {@code workPerItem} operations each: parts of at least {@link #MIN_WORK}. */
    public static int grain(long workPerItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_WORK / Math.max(1, workPerItem)));
    }

    /** A thread that runs one handed-over task at a time (the pool waits for each before the next). */
    private static final class Worker extends Thread {
        private volatile Runnable pending;
        private volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void submit(Runnable task) {
            if (pending != null) {
                throw new IllegalStateException(getName() + " still has a task");
            }
            pending = task;
            // Read after the write (both volatile): either this sees "parked", or the worker sees the task.
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                Runnable task = pending;
                long start = System.nanoTime();
                while (task == null && System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    task = pending;
                }
                while (task == null) {
                    parked = true;
                    task = pending;
                    if (task == null) {
                        LockSupport.park(this);
                        if (isInterrupted()) {
                            return; // closed
                        }
                        task = pending;
                    }
                    parked = false;
                }
                pending = null;
                task.run();
            }
        }
    }
}
