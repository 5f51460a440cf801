package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link Runs} with the Vector API: whole vectors, then the tail in plain Java. */
final class VectorRuns implements Runs {
    static final VectorRuns INSTANCE = new VectorRuns();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Vectors summed in float lanes before the block's lanes are added into the double total. */
    private static final int BLOCK = 16;

    private VectorRuns() {
    }

    @Override
    public void clampGradient(float[] dy, float[] y, float lo, float hi, float[] dx, int off, int len) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (; i + VL <= len; i += VL) {
            FloatVector yv = FloatVector.fromArray(S, y, off + i);
            VectorMask<Float> flat = yv.compare(VectorOperators.GT, lo).and(yv.compare(VectorOperators.LT, hi)).not();
            FloatVector.fromArray(S, dy, off + i).blend(zero, flat).intoArray(dx, off + i);
        }
        for (; i < len; i++) {
            float v = y[off + i];
            dx[off + i] = v > lo && v < hi ? dy[off + i] : 0f;
        }
    }

    @Override
    public void axpy(float[] y, int yOff, float a, float[] x, int xOff, int len) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i + VL <= len; i += VL) {
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public void multiplyAdd(float[] acc, int accOff, float[] a, int aOff, float[] b, int bOff, int len) {
        int i = 0;
        for (; i + VL <= len; i += VL) {
            FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), FloatVector.fromArray(S, acc, accOff + i))
                    .intoArray(acc, accOff + i);
        }
        for (; i < len; i++) {
            acc[accOff + i] += a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void affineClamp(float[] x, int off, int len, float a, float b, float lo, float hi) {
        FloatVector av = FloatVector.broadcast(S, a), bv = FloatVector.broadcast(S, b);
        int i = 0;
        for (; i + VL <= len; i += VL) {
            FloatVector.fromArray(S, x, off + i).fma(av, bv).max(lo).min(hi).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            x[off + i] = Math.min(Math.max(x[off + i] * a + b, lo), hi);
        }
    }

    @Override
    public void copy(float[] src, int from, float[] dst, int to, int len) {
        if (len >= 256) {
            System.arraycopy(src, from, dst, to, len);
            return;
        }
        int i = 0;
        for (; i + VL <= len; i += VL) {
            FloatVector.fromArray(S, src, from + i).intoArray(dst, to + i);
        }
        for (; i < len; i++) {
            dst[to + i] = src[from + i];
        }
    }

    @Override
    public float sum(float[] x, int off, int len) {
        FloatVector s = FloatVector.zero(S);
        int i = 0;
        for (; i + VL <= len; i += VL) {
            s = s.add(FloatVector.fromArray(S, x, off + i));
        }
        float t = s.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            t += x[off + i];
        }
        return t;
    }

    @Override
    public void moments(float[] x, int off, int len, float shift, double[] out) {
        double sum = 0, squares = 0;
        int i = 0;
        while (i + VL <= len) {
            FloatVector s = FloatVector.zero(S), q = FloatVector.zero(S);
            for (int v = 0; v < BLOCK && i + VL <= len; v++, i += VL) {
                FloatVector d = FloatVector.fromArray(S, x, off + i).sub(shift);
                s = s.add(d);
                q = d.fma(d, q);
            }
            sum += s.reduceLanes(VectorOperators.ADD);
            squares += q.reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            double d = x[off + i] - shift;
            sum += d;
            squares += d * d;
        }
        out[0] = sum;
        out[1] = squares;
    }

    @Override
    public void gradientSums(float[] dy, float[] x, float m, float a, float b, float lo, float hi, int off, int len, float shift,
                             double[] out) {
        boolean clamps = Runs.clamps(lo, hi);
        double sum = 0, dot = 0;
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        while (i + VL <= len) {
            FloatVector s = FloatVector.zero(S), p = FloatVector.zero(S);
            for (int v = 0; v < BLOCK && i + VL <= len; v++, i += VL) {
                FloatVector g = FloatVector.fromArray(S, dy, off + i);
                FloatVector xv = FloatVector.fromArray(S, x, off + i);
                if (clamps) {
                    // the forward's output before its clamp: a multiply and an add, each rounded as forward's (no fma)
                    FloatVector yv = xv.sub(m).mul(a).add(b);
                    VectorMask<Float> flat = yv.compare(VectorOperators.GT, lo).and(yv.compare(VectorOperators.LT, hi)).not();
                    g = g.blend(zero, flat);
                    g.intoArray(dy, off + i);
                }
                s = s.add(g);
                p = g.fma(xv.sub(shift), p);
            }
            sum += s.reduceLanes(VectorOperators.ADD);
            dot += p.reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            float g = dy[off + i];
            if (clamps) {
                float v = (x[off + i] - m) * a + b;
                g = v > lo && v < hi ? g : 0f;
                dy[off + i] = g;
            }
            sum += g;
            dot += g * ((double) x[off + i] - shift);
        }
        out[0] = sum;
        out[1] = dot;
    }
}
