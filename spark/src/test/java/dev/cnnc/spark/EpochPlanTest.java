package dev.cnnc.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EpochPlanTest {
    @Test
    void everyPositionBelongsToTheSliceThatHoldsIt() {
        Random random = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int count = 1 + random.nextInt(500);
            int workers = 1 + random.nextInt(6);
            int batch = workers + random.nextInt(70);
            EpochPlan plan = new EpochPlan(count, batch, workers, true, trial);
            int covered = 0;
            for (int k = 0; k < plan.batches(); k++) {
                assertEquals((long) k * batch, plan.sliceStart(k, 0));
                assertEquals((long) k * batch + plan.batchSize(k), plan.sliceStart(k, workers));
                for (int w = 0; w < workers; w++) {
                    long from = plan.sliceStart(k, w);
                    long to = plan.sliceStart(k, w + 1);
                    assertTrue(to - from >= plan.batchSize(k) / workers && to - from <= (plan.batchSize(k) + workers - 1) / workers,
                            "near-equal slices");
                    for (long p = from; p < to; p++) {
                        assertEquals(w, plan.workerOf(p), "position " + p + " of " + plan);
                        covered++;
                    }
                }
            }
            assertEquals(count, covered, "the slices cover every example once");
        }
    }

    @Test
    void positionsAreAPermutationDrawnAfreshEachEpoch() {
        EpochPlan plan = new EpochPlan(1000, 64, 2, true, 42);
        int[] first = plan.positions(plan.shuffleStateAt(1));
        int[] second = plan.positions(plan.shuffleStateAt(2));
        assertTrue(Arrays.equals(sorted(first), java.util.stream.IntStream.range(0, 1000).toArray()));
        assertTrue(Arrays.equals(sorted(second), java.util.stream.IntStream.range(0, 1000).toArray()));
        assertNotEquals(Arrays.toString(first), Arrays.toString(second));
        int[] fileOrder = new EpochPlan(1000, 64, 2, false, 42).positions(new EpochPlan(1000, 64, 2, false, 42).shuffleStateAt(3));
        assertTrue(Arrays.equals(fileOrder, java.util.stream.IntStream.range(0, 1000).toArray()), "--no-shuffle keeps file order");
    }

    private static int[] sorted(int[] a) {
        int[] s = a.clone();
        Arrays.sort(s);
        return s;
    }
}
