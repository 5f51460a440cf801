package dev.cnnc.runtime.opencl;

/**
 * How launches are cut into work groups and split into parts, from the device's limits: pure
 * arithmetic, so it is tested without a device.
 *
 * <p>Three decisions: (1) the largest local-memory tile group (TGX x TGY items) a device's local
 * memory and work-group limit allow; (2) per matrix product, a group fitted to its rows and
 * columns of tiles (a 16-filter convolution has two row tiles: a group of eight row tiles would
 * leave three quarters of its items idle); (3) how many partial results a split product uses, so
 * that the device has enough groups to fill its compute units.
 */
public final class WorkGroups {
    /** Steps of k a product stages in local memory at a time (ClGemm.LOCAL_K). */
    static final int LOCAL_K = 16;
    /** A work item's register tile: rows by columns (ClGemm.ROWS, ClGemm.COLS). */
    static final int ROWS = 8, COLS = 16;
    /** Groups a GPU wants per compute unit: one running while another waits on memory. */
    static final int GROUPS_PER_UNIT = 2;
    /**
     * Parts a split product gets per compute unit of a CPU device, whatever its tiles: PoCL makes
     * few work groups of a product's tile grid (a whole 4 x 36 grid can be one group, run by one
     * core), so the parts are what spreads it over the cores. 16 on this project's 2-core VM, the
     * count measured before parts followed the device (conv2's weight gradient of the Fashion net
     * took 5.3 ms a step with 1 part, 2.6 ms with 16).
     */
    static final int PARTS_PER_CPU_UNIT = 8;
    /** Items a CPU device wants per compute unit from a product split along k. */
    static final int ITEMS_PER_CPU_UNIT = 16;
    /** Items a grid kernel's group has at most on a GPU. */
    static final int GRID_GROUP_ITEMS = 256;

    private WorkGroups() {
    }

    /**
     * Bytes of local memory a product kernel built with TGX x TGY declares: two buffers of
     * LOCAL_K steps, A's rows padded to ROWS + 1 floats an item and B's columns to COLS + 1.
     */
    static long localBytes(int tgx, int tgy) {
        return 2L * LOCAL_K * ((long) tgy * (ROWS + 1) + (long) tgx * (COLS + 1)) * Float.BYTES;
    }

    /**
     * The largest tile group {TGX, TGY} for a device: 16 x 16 items where its local memory and
     * work-group limit allow, else 16 x 8, 8 x 8, 4 x 8, ... (at least one item).
     */
    static int[] largestTileGroup(long maxWorkGroupSize, long localMemory) {
        int[][] candidates = {{16, 16}, {16, 8}, {8, 8}, {4, 8}, {4, 4}, {2, 4}, {2, 2}, {1, 2}, {1, 1}};
        for (int[] c : candidates) {
            if ((long) c[0] * c[1] <= maxWorkGroupSize && localBytes(c[0], c[1]) <= localMemory) {
                return c;
            }
        }
        return new int[] {1, 1};
    }

    /**
     * A product's group {x, y}: within {@code largest}, no wider than its column tiles and no taller
     * than its row tiles (rounded up to powers of two), and at most {@code kernelLimit} items.
     */
    static long[] productGroup(int[] largest, long columnTiles, long rowTiles, long kernelLimit) {
        long x = Math.min(largest[0], ceilPow2(columnTiles)), y = Math.min(largest[1], ceilPow2(rowTiles));
        while (x * y > Math.max(1, kernelLimit)) {
            if (x >= y) {
                x /= 2;
            } else {
                y /= 2;
            }
        }
        return new long[] {x, y};
    }

    /**
     * How many parts a split product launches: enough that {@code groups} (per part) fill the
     * device's {@code target}, at most {@code maxParts} (its partial buffer) and {@code limit}
     * (its batches, or chunks of k), at least one.
     */
    static int parts(long groups, long target, int maxParts, long limit) {
        long wanted = (target + Math.max(1, groups) - 1) / Math.max(1, groups);
        return (int) Math.max(1, Math.min(wanted, Math.min(maxParts, limit)));
    }

    /**
     * The parts a split product launches on a device, within {@code maxParts} and {@code limit}: on
     * a GPU enough that its {@code groups} per part make {@link #GROUPS_PER_UNIT} per compute unit;
     * on a CPU a sum over batches gets {@link #PARTS_PER_CPU_UNIT} per unit, and a split of k only
     * where its tiles ({@code groups} counts items there) are fewer than
     * {@link #ITEMS_PER_CPU_UNIT} per unit (a CPU has few cores and each item is a whole
     * vectorised tile: a split that is not needed only adds the second pass).
     */
    static int deviceParts(boolean gpu, boolean summed, int computeUnits, long groups, int maxParts, long limit) {
        long units = Math.max(1, computeUnits);
        if (gpu) {
            return parts(groups, units * GROUPS_PER_UNIT, maxParts, limit);
        }
        return summed ? parts(1, units * PARTS_PER_CPU_UNIT, maxParts, limit) : parts(groups, units * ITEMS_PER_CPU_UNIT, maxParts, limit);
    }

    /**
     * A group for a grid kernel (one whose items share nothing) on a GPU: per dimension the
     * largest divisor of the global size that keeps the group within {@code maxItems}, so no
     * item falls outside the grid (the kernels have no bounds checks) and planes of 7, 14, 28 or
     * 56 get groups of 49-224 items instead of whatever the runtime picks for an odd size.
     */
    static long[] gridGroup(long[] global, long maxItems) {
        long[] local = new long[global.length];
        long budget = Math.max(1, maxItems);
        for (int d = 0; d < global.length; d++) {
            local[d] = largestDivisorAtMost(global[d], budget);
            budget /= local[d];
        }
        return local;
    }

    private static long largestDivisorAtMost(long value, long bound) {
        for (long d = Math.min(value, bound); d > 1; d--) {
            if (value % d == 0) {
                return d;
            }
        }
        return 1;
    }

    static long ceilPow2(long v) {
        long p = 1;
        while (p < v) {
            p *= 2;
        }
        return p;
    }
}
