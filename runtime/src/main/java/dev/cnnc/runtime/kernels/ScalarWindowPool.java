package dev.cnnc.runtime.kernels;

/** {@link WindowPool} in plain Java: one window at a time. */
final class ScalarWindowPool implements WindowPool {
    static final ScalarWindowPool INSTANCE = new ScalarWindowPool();

    private ScalarWindowPool() {
    }

    @Override
    public void forward(float[] z, int zb, float bias, int quarter, boolean relu, float[] y, int yb, float[] arg, boolean training) {
        forward(z, zb, bias, quarter, relu, y, yb, arg, training, quarter);
    }

    /** Windows [0, count) from the given starts, the quarters {@code quarter} apart (the vector kernels' last windows). */
    void forward(float[] z, int zb, float bias, int quarter, boolean relu, float[] y, int yb, float[] arg, boolean training, int count) {
        for (int t = 0; t < count; t++) {
            int at = zb + t;
            float v0 = z[at] + bias;
            float v1 = z[at + quarter] + bias;
            float v2 = z[at + 2 * quarter] + bias;
            float v3 = z[at + 3 * quarter] + bias;
            float best = Math.max(Math.max(v0, v1), Math.max(v2, v3));
            if (training) {
                arg[yb + t] = first(v0, best) ? 0f : first(v1, best) ? 1f : first(v2, best) ? 2f : 3f;
            }
            y[yb + t] = relu ? (best < 0f ? 0f : best) : best; // a NaN stays NaN, as in PyTorch
        }
    }

    /** Whether v is the window's max (a NaN is: the max of a window with a NaN is NaN). */
    static boolean first(float v, float best) {
        return v == best || v != v;
    }

    @Override
    public double backward(float[] dy, float[] y, float[] arg, int yb, int quarter, boolean relu, float[] dz, int dzb) {
        return backward(dy, y, arg, yb, quarter, relu, dz, dzb, quarter);
    }

    double backward(float[] dy, float[] y, float[] arg, int yb, int quarter, boolean relu, float[] dz, int dzb, int count) {
        double sum = 0;
        for (int t = 0; t < count; t++) {
            float g = relu ? (y[yb + t] > 0f ? dy[yb + t] : 0f) : dy[yb + t];
            float a = arg[yb + t];
            int at = dzb + t;
            dz[at] = a == 0f ? g : 0f;
            dz[at + quarter] = a == 1f ? g : 0f;
            dz[at + 2 * quarter] = a == 2f ? g : 0f;
            dz[at + 3 * quarter] = a == 3f ? g : 0f;
            sum += g;
        }
        return sum;
    }
}
