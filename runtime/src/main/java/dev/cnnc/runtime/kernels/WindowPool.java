package dev.cnnc.runtime.kernels;

/**
 * A 2x2, stride-2 max pool fused into a convolution's epilogue, on a plane held in
 * {@link WindowOrder}'s window-major order: the four values of window t lie at {@code zb + t},
 * {@code zb + Q + t}, {@code zb + 2Q + t} and {@code zb + 3Q + t} (Q windows per plane). The
 * argmax is kept as the window position 0..3 (row-major in the window; the first of equal values,
 * a NaN counting as the largest), as a float so the vector code stays in one lane type.
 * {@link #of} gives the Vector API kernels with a Vector API product, else the plain ones.
 */
public interface WindowPool {
    /**
     * y[yb + t] = the max of window t of z + bias, through relu if asked, for t in [0, Q);
     * when {@code training}, arg[yb + t] = where in the window the max was.
     */
    void forward(float[] z, int zb, float bias, int quarter, boolean relu, float[] y, int yb, float[] arg, boolean training);

    /**
     * The backward of {@link #forward}: g = dy (times relu's derivative, read from y) goes to the
     * window position arg names, 0 to the other three, in dz's plane at {@code dzb}; returns the sum
     * of the g (the plane's share of the bias gradient).
     */
    double backward(float[] dy, float[] y, float[] arg, int yb, int quarter, boolean relu, float[] dz, int dzb);

    /** The kernels that go with a product: the Vector API ones with {@link VectorGemm}. */
    static WindowPool of(Gemm gemm) {
        return gemm instanceof VectorGemm ? VectorWindowPool.INSTANCE : ScalarWindowPool.INSTANCE;
    }
}
