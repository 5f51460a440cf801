package dev.cnnc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool hands tasks to whichever thread is free; what is computed must not depend on that. */
class ParallelTest {
    @Test
    void everyChunkRunsOnceInItsFixedSlotWithItsOwnPart() {
        Random random = new Random(11);
        for (int threads = 1; threads <= 4; threads++) {
            try (Parallel par = new Parallel(threads)) {
                for (int round = 0; round < 40; round++) {
                    int n = 1 + random.nextInt(200);
                    int chunk = 1 + random.nextInt(9);
                    int chunks = (n + chunk - 1) / chunk;
                    int slots = par.slotsOf(n, chunk);
                    AtomicIntegerArray runs = new AtomicIntegerArray(n);
                    int[] slotOf = new int[chunks];
                    AtomicIntegerArray busy = new AtomicIntegerArray(threads);
                    AtomicInteger overlaps = new AtomicInteger();
                    int t = threads;
                    par.forChunks(n, chunk, (e0, e1, inner, part, slot) -> {
                        if (busy.getAndIncrement(part) != 0) {
                            overlaps.incrementAndGet(); // two groups at once on one thread's buffers
                        }
                        assertTrue(part >= 0 && part < t, "part " + part);
                        assertTrue(slot >= 0 && slot < slots, "slot " + slot);
                        assertEquals(0, e0 % chunk);
                        assertEquals(Math.min(n, e0 + chunk), e1);
                        slotOf[e0 / chunk] = slot;
                        for (int e = e0; e < e1; e++) {
                            runs.incrementAndGet(e);
                        }
                        busy.decrementAndGet(part);
                    });
                    assertEquals(0, overlaps.get());
                    for (int e = 0; e < n; e++) {
                        assertEquals(1, runs.get(e), "example " + e + " of " + n);
                    }
                    // consecutive groups, every slot used, the same slots for any thread count (up to 4)
                    assertEquals(Math.min(chunks, 8), slots);
                    for (int q = 0; q < chunks; q++) {
                        assertEquals(slotExpected(q, chunks, slots), slotOf[q], "group " + q);
                    }
                }
            }
        }
    }

    private static int slotExpected(int q, int chunks, int slots) {
        for (int s = 0; s < slots; s++) {
            if (q < (int) ((long) chunks * (s + 1) / slots)) {
                return s;
            }
        }
        throw new AssertionError();
    }

    @Test
    void perSlotSumsAreTheSameBitForBitWhateverTheTiming() {
        float[] values = new float[997];
        Random random = new Random(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.exp(random.nextGaussian() * 8); // magnitudes far apart: the order of adds shows
        }
        float reference = Float.NaN;
        for (int threads = 1; threads <= 4; threads++) {
            try (Parallel par = new Parallel(threads)) {
                for (int round = 0; round < 20; round++) {
                    float[] parts = new float[Parallel.slots(threads)];
                    Random delays = new Random(round);
                    ConcurrentHashMap<Integer, Integer> sleep = new ConcurrentHashMap<>();
                    for (int q = 0; q < values.length; q++) {
                        sleep.put(q, delays.nextInt(50) == 0 ? 1 : 0);
                    }
                    par.forChunks(values.length, 7, (e0, e1, inner, part, slot) -> {
                        if (sleep.get(e0 / 7) == 1) {
                            try {
                                Thread.sleep(1); // a thread held up: the others take its share
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        for (int e = e0; e < e1; e++) {
                            parts[slot] += values[e];
                        }
                    });
                    float sum = 0;
                    for (int s = 0; s < par.slotsOf(values.length, 7); s++) {
                        sum += parts[s];
                    }
                    if (Float.isNaN(reference)) {
                        reference = sum;
                    }
                    assertEquals(Float.floatToIntBits(reference), Float.floatToIntBits(sum), "threads " + threads + " round " + round);
                }
            }
        }
    }

    @Test
    void aHeldUpThreadLeavesTheRestToTheOthers() {
        try (Parallel par = new Parallel(2)) {
            // the first group to start sleeps long: the other thread must take all the remaining slots
            AtomicInteger first = new AtomicInteger(-1);
            int[] byPart = new int[2];
            par.forChunks(64, 4, (e0, e1, inner, part, slot) -> {
                if (first.compareAndSet(-1, part)) {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                synchronized (byPart) {
                    byPart[part]++;
                }
            });
            int held = first.get();
            assertEquals(2, byPart[held], "the held-up thread ran only its first slot (2 of 16 groups)");
            assertEquals(14, byPart[1 - held]);
        }
    }

    @Test
    void forRangeCoversTheRangeOnce() {
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel par = new Parallel(threads)) {
                for (int n = 0; n < 50; n++) {
                    int[] hits = new int[n];
                    par.forRange(n, 1 + n % 4, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            synchronized (hits) {
                                hits[i]++;
                            }
                        }
                    });
                    int[] once = new int[n];
                    java.util.Arrays.fill(once, 1);
                    assertArrayEquals(once, hits, "n " + n);
                }
            }
        }
    }

    @Test
    void aFailureReachesTheCallerAndThePoolGoesOn() {
        try (Parallel par = new Parallel(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> par.forChunks(40, 2, (e0, e1, inner, part, slot) -> {
                if (e0 == 20) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
            AtomicInteger count = new AtomicInteger();
            par.forChunks(40, 2, (e0, e1, inner, part, slot) -> count.addAndGet(e1 - e0));
            assertEquals(40, count.get());
        }
    }
}
