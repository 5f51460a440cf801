package dev.cnnc.runtime.kernels;

/** {@link Runs} in plain Java; the sum in four interleaved chains (a fixed order). */
final class ScalarRuns implements Runs {
    static final ScalarRuns INSTANCE = new ScalarRuns();

    private ScalarRuns() {
    }

    @Override
    public void axpy(float[] y, int yOff, float a, float[] x, int xOff, int len) {
        for (int i = 0; i < len; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public void multiplyAdd(float[] acc, int accOff, float[] a, int aOff, float[] b, int bOff, int len) {
        for (int i = 0; i < len; i++) {
            acc[accOff + i] += a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void affineClamp(float[] x, int off, int len, float a, float b, float lo, float hi) {
        for (int i = off; i < off + len; i++) {
            x[i] = Math.min(Math.max(x[i] * a + b, lo), hi);
        }
    }

    @Override
    public void copy(float[] src, int from, float[] dst, int to, int len) {
        if (len >= 32) {
            System.arraycopy(src, from, dst, to, len);
            return;
        }
        for (int i = 0; i < len; i++) {
            dst[to + i] = src[from + i];
        }
    }

    @Override
    public float sum(float[] x, int off, int len) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        int i = 0;
        for (; i + 3 < len; i += 4) {
            a0 += x[off + i];
            a1 += x[off + i + 1];
            a2 += x[off + i + 2];
            a3 += x[off + i + 3];
        }
        for (; i < len; i++) {
            a0 += x[off + i];
        }
        return (a0 + a1) + (a2 + a3);
    }

    @Override
    public void moments(float[] x, int off, int len, float shift, double[] out) {
        moments(x, off, 1, len, shift, out);
    }

    /** {@link #moments} over x[off], x[off + step], ...: a batchnorm over features ([n][F], F apart). */
    static void moments(float[] x, int off, int step, int len, float shift, double[] out) {
        double s0 = 0, s1 = 0, q0 = 0, q1 = 0;
        int i = 0;
        int k = off;
        for (; i + 1 < len; i += 2, k += 2 * step) {
            double d0 = x[k] - shift, d1 = x[k + step] - shift;
            s0 += d0;
            s1 += d1;
            q0 += d0 * d0;
            q1 += d1 * d1;
        }
        for (; i < len; i++, k += step) {
            double d = x[k] - shift;
            s0 += d;
            q0 += d * d;
        }
        out[0] = s0 + s1;
        out[1] = q0 + q1;
    }

    @Override
    public void clampGradient(float[] dy, float[] y, float lo, float hi, float[] dx, int off, int len) {
        for (int i = off; i < off + len; i++) {
            float v = y[i];
            dx[i] = v > lo && v < hi ? dy[i] : 0f;
        }
    }

    @Override
    public void gradientSums(float[] dy, float[] x, float m, float a, float b, float lo, float hi, int off, int len, float shift,
                             double[] out) {
        gradientSums(dy, x, m, a, b, lo, hi, off, 1, len, shift, out);
    }

    /** {@link #gradientSums} over every {@code step}-th value from off. */
    static void gradientSums(float[] dy, float[] x, float m, float a, float b, float lo, float hi, int off, int step, int len, float shift,
                             double[] out) {
        if (Runs.clamps(lo, hi)) {
            for (int i = 0, k = off; i < len; i++, k += step) {
                float v = (x[k] - m) * a + b;
                dy[k] = v > lo && v < hi ? dy[k] : 0f;
            }
        }
        double s0 = 0, s1 = 0, p0 = 0, p1 = 0;
        int i = 0;
        int k = off;
        for (; i + 1 < len; i += 2, k += 2 * step) {
            float g0 = dy[k], g1 = dy[k + step];
            s0 += g0;
            s1 += g1;
            p0 += g0 * ((double) x[k] - shift);
            p1 += g1 * ((double) x[k + step] - shift);
        }
        for (; i < len; i++, k += step) {
            s0 += dy[k];
            p0 += dy[k] * ((double) x[k] - shift);
        }
        out[0] = s0 + s1;
        out[1] = p0 + p1;
    }
}
