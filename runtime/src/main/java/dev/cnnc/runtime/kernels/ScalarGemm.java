package dev.cnnc.runtime.kernels;

/** Plain-Java product ({@code --simd none}): k-blocked, with an inner loop C2 can vectorise. */
public final class ScalarGemm implements Gemm {
    public static final ScalarGemm INSTANCE = new ScalarGemm();
    private static final int KC = 256;

    private ScalarGemm() {
    }

    @Override
    public void multiplyTransposed(int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff,
                                   int ldc, boolean accumulate, int rowFrom, int rowTo) {
        for (int i = rowFrom; i < rowTo; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                int ai = aOff + i * lda;
                int bj = bOff + j * ldb;
                for (int p = 0; p < k; p++) {
                    s += a[ai + p] * b[bj + p];
                }
                c[cOff + i * ldc + j] = accumulate ? c[cOff + i * ldc + j] + s : s;
            }
        }
    }

    @Override
    public void multiply(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                         boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        if (!accumulate) {
            for (int i = rowFrom; i < rowTo; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc + colFrom, cOff + i * ldc + colTo, 0f);
            }
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int p1 = Math.min(k, p0 + KC);
            for (int i = rowFrom; i < rowTo; i++) {
                int ci = cOff + i * ldc;
                for (int p = p0; p < p1; p++) {
                    float aip = a[aOff + i * lda + p];
                    int bp = bOff + p * ldb;
                    for (int j = colFrom; j < colTo; j++) {
                        c[ci + j] += aip * b[bp + j];
                    }
                }
            }
        }
    }
}
