package dev.cnnc.runtime.kernels;

/**
 * Arithmetic along contiguous runs of floats, for kernels whose inner loops read one array at an
 * offset and write another: the JIT leaves such loops scalar (it cannot prove the two runs do not
 * overlap), so {@link #of} gives the Vector API versions with a Vector API product, else plain
 * loops. Each fixes its order of additions, so a result repeats exactly run after run.
 */
interface Runs {
    /** y[yOff + i] += a * x[xOff + i] for i in [0, len). */
    void axpy(float[] y, int yOff, float a, float[] x, int xOff, int len);

    /** acc[accOff + i] += a[aOff + i] * b[bOff + i] for i in [0, len). */
    void multiplyAdd(float[] acc, int accOff, float[] a, int aOff, float[] b, int bOff, int len);

    /** x[off + i] = min(max(x[off + i] * a + b, lo), hi) for i in [0, len) (a NaN stays NaN). */
    void affineClamp(float[] x, int off, int len, float a, float b, float lo, float hi);

    /** dst[to + i] = src[from + i] for i in [0, len): a row of a plane, where System.arraycopy's call costs more than the copy. */
    void copy(float[] src, int from, float[] dst, int to, int len);

    /** The sum of x[off .. off + len). */
    float sum(float[] x, int off, int len);

    /**
     * Batchnorm's moments of a channel: into {@code out}, the sums of x - shift and of
     * (x - shift)^2 over x[off .. off + len), in double (float only within short blocks).
     */
    void moments(float[] x, int off, int len, float shift, double[] out);

    /**
     * Batchnorm backward's sums over [off, off + len): into {@code out}, the sums of g and
     * g * (x - shift), g = dy (shift near the mean, so the second sum does not cancel). Behind a
     * clamp to [lo, hi] (bounds not both infinite) g is dy where lo < y < hi, else 0, and is written
     * back into dy, with y = (x - m) * a + b the forward's output before the clamp, recomputed from x
     * in the forward's float operations (so bit for bit its value): the output need not be kept.
     */
    void gradientSums(float[] dy, float[] x, float m, float a, float b, float lo, float hi, int off, int len, float shift, double[] out);

    /** Whether [lo, hi] clamps anything: false for the infinite bounds that stand for no clamp. */
    static boolean clamps(float lo, float hi) {
        return lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    }

    /**
     * dx[off + i] = dy[off + i] where lo < y[off + i] < hi, else 0 (the derivative torch's relu and
     * hardtanh take at a clamp's output y), for i in [0, len); dx may be dy. Branch-free: the
     * plain-Java ternary is a branch per element, mispredicted half the time on a relu's output.
     */
    void clampGradient(float[] dy, float[] y, float lo, float hi, float[] dx, int off, int len);

    static Runs of(Gemm gemm) {
        return gemm instanceof VectorGemm ? VectorRuns.INSTANCE : ScalarRuns.INSTANCE;
    }
}
