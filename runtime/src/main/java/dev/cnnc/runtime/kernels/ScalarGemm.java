package dev.cnnc.runtime.kernels;

/**
 * Plain-Java product ({@code --simd none}). C2 vectorises a loop only when its arrays are
 * indexed alike ({@code acc[j] += a * row[j]}); with offsets into one flat array it gives up.
 * So B is copied, a block at a time, into one small array per row, and each row of C is
 * accumulated in its own small array.
 */
public final class ScalarGemm implements Gemm {
    public static final ScalarGemm INSTANCE = new ScalarGemm();
    private static final int KC = 128;
    private static final int NB = 256;

    /** Per thread: KC row buffers of NB, one accumulator row, and a transpose scratch. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> {
        float[][] b = new float[KC + 2][];
        for (int i = 0; i <= KC; i++) {
            b[i] = new float[NB];
        }
        b[KC + 1] = new float[0];
        return b;
    });

    private ScalarGemm() {
    }

    @Override
    public void multiply(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                         boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        float[][] buffers = BUFFERS.get();
        float[] acc = buffers[KC];
        for (int j0 = colFrom; j0 < colTo; j0 += NB) {
            int width = Math.min(NB, colTo - j0);
            if (k == 0 && !accumulate) {
                for (int i = rowFrom; i < rowTo; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j0 + width, 0f);
                }
                continue;
            }
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(b, bOff + (p0 + p) * ldb + j0, buffers[p], 0, width);
                }
                boolean load = accumulate || p0 > 0;
                for (int i = rowFrom; i < rowTo; i++) {
                    int ci = cOff + i * ldc + j0;
                    if (load) {
                        System.arraycopy(c, ci, acc, 0, width);
                    } else {
                        java.util.Arrays.fill(acc, 0, width, 0f);
                    }
                    int ai = aOff + i * lda + p0;
                    for (int p = 0; p < kc; p++) {
                        float aip = a[ai + p];
                        float[] row = buffers[p];
                        for (int j = 0; j < width; j++) {
                            acc[j] += aip * row[j];
                        }
                    }
                    System.arraycopy(acc, 0, c, ci, width);
                }
            }
        }
    }

    @Override
    public int packedSize(int m, int k) {
        return m * k;
    }

    /** Plain rows [m][k]: the loops above read A row by row already. */
    @Override
    public void pack(float[] a, int aOff, int lda, boolean transposed, int m, int k, float[] packed) {
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                packed[i * k + p] = transposed ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            }
        }
    }

    @Override
    public int packedRows() {
        return 1;
    }

    @Override
    public void multiplyPacked(int k, int m, float[] packed, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                               boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        multiply(k, packed, 0, k, b, bOff, ldb, c, cOff, ldc, accumulate, rowFrom, rowTo, colFrom, colTo);
    }

    /** C = A x B^T as a transpose of B's needed rows into scratch, then the product above. */
    @Override
    public void multiplyTransposed(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                                   boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        int n = colTo - colFrom;
        float[][] buffers = BUFFERS.get();
        if (buffers[KC + 1].length < k * n) {
            buffers[KC + 1] = new float[k * n];
        }
        float[] bt = buffers[KC + 1];
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) {
                bt[p * n + j] = b[bOff + (colFrom + j) * ldb + p];
            }
        }
        multiply(k, a, aOff, lda, bt, 0, n, c, cOff + colFrom, ldc, accumulate, rowFrom, rowTo, 0, n);
    }
}
