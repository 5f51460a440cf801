package dev.cnnc.runtime.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a loop over [0, n) on a fixed set of threads. The loop is cut into tasks fixed by its sizes
 * alone, and whichever thread is free takes the next task: on a VM whose second core is sometimes
 * taken by the host for milliseconds, the other thread then does the rest instead of waiting. A
 * task's results never depend on which thread ran it: tasks write disjoint outputs, and sums across
 * tasks go into per-slot parts ({@link #forChunks}) that are added in slot order, so a run gives
 * the same floating-point results bit for bit, whatever the timing. The caller takes tasks too.
 */
public final class Parallel implements AutoCloseable {
    /** The body of a loop over [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /**
     * The body of a loop over groups of examples [from, to): {@code inner} is what the body's own
     * kernels split across (this pool when the group is the whole batch, else one thread);
     * {@code part} names the per-thread scratch buffers the group may use (the running thread,
     * 0 .. threads - 1), and {@code slot} the part of a sum the group adds into (0 .. {@link #slots} - 1,
     * fixed by the group's place in the batch, whichever thread runs it).
     */
    @FunctionalInterface
    public interface Chunk {
        void run(int from, int to, Parallel inner, int part, int slot);
    }

    /** One task of a loop, run by thread {@code part}. */
    @FunctionalInterface
    private interface Task {
        void run(int task, int part);
    }

    /** One thread, no workers: the inner pool of a chunk that already runs on its own thread. */
    public static final Parallel SERIAL = new Parallel(1);

    /**
     * Slots of a loop over groups: several per thread, so a thread held up takes fewer of them, and at
     * least 8 whatever the thread count, so 1 to 4 threads add the same parts in the same order.
     */
    private static final int MIN_SLOTS = 8;

    private final int threads;
    private final Worker[] workers;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, is " + threads);
        }
        this.threads = threads;
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("cnnc-worker-" + (i + 1), i + 1);
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** The most slots {@link #forChunks} uses on a pool of {@code threads}: the per-slot sums to allocate. */
    public static int slots(int threads) {
        return Math.max(MIN_SLOTS, 2 * threads);
    }

    /** The slots {@link #forChunks}{@code (n, chunk, ...)} uses, 0 .. this - 1: the per-slot sums to add up after it. */
    public int slotsOf(int n, int chunk) {
        return Math.max(1, Math.min((n + chunk - 1) / chunk, slots(threads)));
    }

    /** Splits [0, n) into up to {@code threads} parts of at least {@code grain} items each. */
    public void forRange(int n, int grain, Range body) {
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        run(parts, (q, part) -> body.run((int) ((long) n * q / parts), (int) ((long) n * (q + 1) / parts)));
    }

    /**
     * Examples [0, n) in groups of {@code chunk}; consecutive groups form {@link #slotsOf} slots, and
     * each slot's groups run one after another on one thread. A batch of one group runs on the caller
     * with this pool as the inner one, so a single image still uses every thread.
     */
    public void forChunks(int n, int chunk, Chunk body) {
        int chunks = (n + chunk - 1) / chunk;
        if (chunks <= 1) {
            body.run(0, n, this, 0, 0);
            return;
        }
        int slots = slotsOf(n, chunk);
        run(slots, (s, part) -> {
            for (int q = (int) ((long) chunks * s / slots); q < (int) ((long) chunks * (s + 1) / slots); q++) {
                body.run(q * chunk, Math.min(n, (q + 1) * chunk), SERIAL, part, s);
            }
        });
    }

    /** Tasks [0, tasks), taken one at a time by the caller and the workers; returns when all are done. */
    private void run(int tasks, Task task) {
        if (threads == 1) {
            for (int t = 0; t < tasks; t++) {
                task.run(t, 0);
            }
            return;
        }
        Loop loop = new Loop(tasks, task);
        for (int w = 0; w < Math.min(workers.length, tasks - 1); w++) {
            workers[w].submit(loop);
        }
        loop.work(0);
        loop.await();
        Throwable failure = loop.failure;
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** A loop being run: the next task to take, and how many are done. */
    private static final class Loop {
        private final int tasks;
        private final Task task;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Throwable failure;

        Loop(int tasks, Task task) {
            this.tasks = tasks;
            this.task = task;
        }

        /** Takes tasks until none is left (a worker that comes late finds none and returns at once). */
        void work(int part) {
            for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
                try {
                    if (failure == null) {
                        task.run(t, part);
                    }
                } catch (Throwable e) {
                    synchronized (this) {
                        if (failure == null) {
                            failure = e;
                        }
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        /** Waits for the tasks other threads took: spin first (waking a parked thread costs tens of microseconds on a VM). */
        void await() {
            long start = System.nanoTime();
            while (done.get() < tasks) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
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

    /**
     * A thread that joins the loops handed to it. A loop it comes to late is already done (its tasks
     * all taken), so a newer loop simply replaces one not yet picked up.
     */
    private static final class Worker extends Thread {
        private final AtomicReference<Loop> pending = new AtomicReference<>();
        private final int part;
        private volatile boolean parked;

        Worker(String name, int part) {
            super(name);
            this.part = part;
            setDaemon(true);
        }

        void submit(Loop loop) {
            pending.set(loop);
            // Read after the write (both volatile): either this sees "parked", or the worker sees the loop.
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                long start = System.nanoTime();
                Loop loop = pending.getAndSet(null);
                while (loop == null && System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    loop = pending.get() != null ? pending.getAndSet(null) : null;
                }
                while (loop == null) {
                    parked = true;
                    loop = pending.getAndSet(null);
                    if (loop == null) {
                        LockSupport.park(this);
                        if (isInterrupted()) {
                            return; // closed
                        }
                        loop = pending.getAndSet(null);
                    }
                    parked = false;
                }
                loop.work(part);
            }
        }
    }
}
