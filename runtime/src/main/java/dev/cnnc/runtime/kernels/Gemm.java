package dev.cnnc.runtime.kernels;

/**
 * Row-major matrix product C[m][n] = A[m][k] x B[k][n] (+ C when accumulating), and the NT
 * product A x B^T: every layer's forward and backward is expressed in these two. Two
 * implementations: Vector API register tiles, and plain loops for {@code --simd none}.
 */
public interface Gemm {
    /**
     * Computes the block rows [rowFrom, rowTo) x columns [colFrom, colTo) of C. Callers split
     * either range across threads; each block is written by one thread only.
     */
    void multiply(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                  boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo);

    /** The whole product, split across the threads along its larger dimension. */
    default void multiply(Parallel parallel, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate) {
        split(parallel, m, n, k, (rowFrom, rowTo, colFrom, colTo) ->
                multiply(k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, rowFrom, rowTo, colFrom, colTo));
    }

    /**
     * C[m][n] = A[m][k] x B[n][k]^T (+ C): both operands contiguous along k, so no transpose is
     * needed for a conv's weight gradient (dz x col^T) or a dense layer's forward (x x W^T).
     * Computes the block rows [rowFrom, rowTo) x columns [colFrom, colTo) of C.
     */
    void multiplyTransposed(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                            boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo);

    /** The whole NT product, split across the threads along its larger dimension. */
    default void multiplyTransposed(Parallel parallel, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                                    int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        split(parallel, m, n, k, (rowFrom, rowTo, colFrom, colTo) ->
                multiplyTransposed(k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, rowFrom, rowTo, colFrom, colTo));
    }

    /**
     * Floats of a left operand A[m][k] packed by {@link #pack}: a layer's weights are packed once
     * per pass and shared by the products of every group of examples.
     */
    int packedSize(int m, int k);

    /**
     * Packs A[m][k] for {@link #multiplyPacked}: A row-major at aOff with row length lda or, when
     * {@code transposed}, A = T^T for T[k][m] at aOff with row length lda (a conv's W^T from W).
     */
    void pack(float[] a, int aOff, int lda, boolean transposed, int m, int k, float[] packed);

    /** Rows of A per packed tile: a block of a packed product starts on a multiple of this. */
    int packedRows();

    /**
     * {@link #multiply} with A packed by {@link #pack} (m rows in all); rowFrom a multiple of {@link #packedRows}.
     * rowTo may go up to m rounded up to whole tiles: the padding rows compute zeros, which a caller
     * with room for them in C may take rather than have the last tile go through a scratch tile.
     */
    void multiplyPacked(int k, int m, float[] packed, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate,
                        int rowFrom, int rowTo, int colFrom, int colTo);

    /** The whole packed product, split across the threads like {@link #multiply} (rows in whole tiles). */
    default void multiplyPacked(Parallel parallel, int m, int n, int k, float[] packed, float[] b, int bOff, int ldb, float[] c,
                                int cOff, int ldc, boolean accumulate) {
        int unit = packedRows();
        split(parallel, (m + unit - 1) / unit, n, k * unit, (tileFrom, tileTo, colFrom, colTo) ->
                multiplyPacked(k, m, packed, b, bOff, ldb, c, cOff, ldc, accumulate, tileFrom * unit, Math.min(m, tileTo * unit), colFrom,
                        colTo));
    }

    /** A block of C: rows [rowFrom, rowTo) x columns [colFrom, colTo). */
    @FunctionalInterface
    interface Block {
        void run(int rowFrom, int rowTo, int colFrom, int colTo);
    }

    /**
     * Runs an m x n product of depth k as blocks, one per thread, along its larger dimension
     * (columns split on 16-column boundaries, so vector tiles stay whole); a product too small to
     * be worth a hand-over runs as one block.
     */
    static void split(Parallel parallel, int m, int n, int k, Block block) {
        if (parallel.threads() == 1 || (long) m * n * k < 1 << 17) {
            block.run(0, m, 0, n);
        } else if (n >= m) {
            parallel.forRange((n + 15) / 16, 1, (from, to) -> block.run(0, m, from * 16, Math.min(n, to * 16)));
        } else {
            parallel.forRange(m, 1, (from, to) -> block.run(from, to, 0, n));
        }
    }

    /** dst[cols][rows] = src[rows][cols], split across the threads by source rows. */
    static void transpose(Parallel parallel, float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        if (parallel.threads() == 1 || (long) rows * cols < 1 << 17) {
            transpose(src, srcOff, rows, cols, dst, dstOff);
            return;
        }
        parallel.forRange((rows + 31) / 32, 1, (from, to) -> transposeRows(src, srcOff, rows, cols, dst, dstOff, from * 32,
                Math.min(rows, to * 32)));
    }

    /** dst[cols][rows] = src[rows][cols]. */
    static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        transposeRows(src, srcOff, rows, cols, dst, dstOff, 0, rows);
    }

    private static void transposeRows(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff, int rowFrom, int rowTo) {
        final int tile = 32;
        for (int i0 = rowFrom; i0 < rowTo; i0 += tile) {
            int i1 = Math.min(rowTo, i0 + tile);
            for (int j0 = 0; j0 < cols; j0 += tile) {
                int j1 = Math.min(cols, j0 + tile);
                for (int i = i0; i < i1; i++) {
                    int s = srcOff + i * cols;
                    for (int j = j0; j < j1; j++) {
                        dst[dstOff + j * rows + i] = src[s + j];
                    }
                }
            }
        }
    }

    static Gemm of(boolean vector) {
        if (vector && !VectorSupport.AVAILABLE) {
            VectorSupport.warnOnce();
            return ScalarGemm.INSTANCE;
        }
        return vector ? VectorGemm.INSTANCE : ScalarGemm.INSTANCE;
    }
}
