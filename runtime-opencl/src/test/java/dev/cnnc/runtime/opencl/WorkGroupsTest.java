package dev.cnnc.runtime.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The work-group and split arithmetic, for the devices it is meant for (figures from their OpenCL limits). */
class WorkGroupsTest {
    @Test
    void theTileGroupFitsTheDevicesLocalMemory() {
        // NVIDIA H100/H200 under OpenCL: 48 KiB of local memory a group, 1024 items
        int[] nvidia = WorkGroups.largestTileGroup(1024, 48 * 1024);
        assertArrayEquals(new int[] {16, 8}, nvidia);
        assertTrue(WorkGroups.localBytes(16, 8) <= 48 * 1024);
        assertTrue(WorkGroups.localBytes(16, 16) > 48 * 1024, "16 x 16 does not fit, so 16 x 8 was the largest");
        // AMD GPUs: 64 KiB, 256 items
        assertArrayEquals(new int[] {16, 16}, WorkGroups.largestTileGroup(256, 64 * 1024));
        // a small device: 16 KiB, 128 items
        int[] small = WorkGroups.largestTileGroup(128, 16 * 1024);
        assertTrue(WorkGroups.localBytes(small[0], small[1]) <= 16 * 1024 && small[0] * small[1] <= 128);
        assertArrayEquals(new int[] {1, 1}, WorkGroups.largestTileGroup(1, 1024));
    }

    @Test
    void aProductsGroupIsFittedToItsTiles() {
        int[] largest = {16, 8};
        // a 16-filter convolution: 2 row tiles, 64 column tiles (1,024 positions)
        assertArrayEquals(new long[] {16, 2}, WorkGroups.productGroup(largest, 64, 2, 1024));
        // the Fashion net's dense forward: 128 units (16 row tiles), a batch of 64 (4 column tiles)
        assertArrayEquals(new long[] {4, 8}, WorkGroups.productGroup(largest, 4, 16, 1024));
        // odd counts round up to powers of two; a kernel limit of 64 items halves the larger side
        assertArrayEquals(new long[] {8, 8}, WorkGroups.productGroup(largest, 5, 7, 1024));
        long[] limited = WorkGroups.productGroup(largest, 100, 100, 64);
        assertEquals(64, limited[0] * limited[1]);
        assertArrayEquals(new long[] {8, 8}, limited);
    }

    @Test
    void splitsFillTheDeviceWithinTheirBuffersAndWork() {
        // an H100: 132 compute units, two groups each wanted
        assertEquals(64, WorkGroups.deviceParts(true, true, 132, 2, 64, 128), "as many as the partial buffer holds");
        assertEquals(32, WorkGroups.deviceParts(true, true, 132, 2, 64, 32), "no more than the batches");
        assertEquals(1, WorkGroups.deviceParts(true, true, 132, 400, 64, 128), "enough groups already: one part, no partial sums");
        assertEquals(3, WorkGroups.deviceParts(true, true, 132, 100, 64, 128));
        assertEquals(1, WorkGroups.deviceParts(true, true, 132, 0, 0, 0), "never fewer than one");
        // a 2-core CPU: 16 parts whatever the tiles, within the buffer and the batches
        assertEquals(16, WorkGroups.deviceParts(false, true, 2, 144, 64, 64));
        assertEquals(3, WorkGroups.deviceParts(false, true, 2, 144, 64, 3));
        assertEquals(5, WorkGroups.deviceParts(false, true, 2, 1, 5, 64));
        // split along k on a CPU only where the tiles are too few for its cores
        assertEquals(1, WorkGroups.deviceParts(false, false, 2, 4096, 32, 16), "a large product: no split");
        assertEquals(1, WorkGroups.deviceParts(false, false, 2, 64, 32, 49), "the Fashion net's dense forward: 64 tiles");
        assertEquals(8, WorkGroups.deviceParts(false, false, 2, 4, 32, 49), "a dense layer at a batch of 1");
        // the GPU rule for a split of k: the Fashion net's dense forward (2 groups) on an H100
        assertEquals(32, WorkGroups.deviceParts(true, false, 132, 2, 32, 49));
    }

    @Test
    void gridGroupsDivideTheGridAndStayWithinTheirItems() {
        for (int w : new int[] {7, 14, 28, 56, 112, 1, 3, 1000}) {
            long[] global = {w, w, 64 * 16};
            long[] local = WorkGroups.gridGroup(global, 256);
            long items = 1;
            for (int d = 0; d < 3; d++) {
                assertEquals(0, global[d] % local[d], () -> "a group divides the grid: " + w);
                items *= local[d];
            }
            assertTrue(items <= 256, "at most 256 items");
            if (w >= 7) {
                assertTrue(items >= 49, () -> w + "x" + w + " planes get groups of at least 49 items, not " + java.util.Arrays.toString(local));
            }
        }
        assertArrayEquals(new long[] {7, 7, 5}, WorkGroups.gridGroup(new long[] {7, 7, 1000}, 256));
        assertArrayEquals(new long[] {56, 4, 1}, WorkGroups.gridGroup(new long[] {56, 56, 64}, 256));
    }
}
