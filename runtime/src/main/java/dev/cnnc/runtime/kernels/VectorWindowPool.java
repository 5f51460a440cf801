package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link WindowPool} with the Vector API: a vector of neighbouring windows at a time (four
 * contiguous loads), the last few windows by the plain code. The max, argmax and gradient are
 * those of {@link ScalarWindowPool}, lane by lane; only the bias gradient's sum runs in float lanes
 * before it is added up in double.
 */
final class VectorWindowPool implements WindowPool {
    static final VectorWindowPool INSTANCE = new VectorWindowPool();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    private VectorWindowPool() {
    }

    @Override
    public void forward(float[] z, int zb, float bias, int quarter, boolean relu, float[] y, int yb, float[] arg, boolean training) {
        int vectorEnd = quarter / VL * VL;
        FloatVector zero = FloatVector.zero(S);
        for (int t = 0; t < vectorEnd; t += VL) {
            int at = zb + t;
            FloatVector v0 = FloatVector.fromArray(S, z, at).add(bias);
            FloatVector v1 = FloatVector.fromArray(S, z, at + quarter).add(bias);
            FloatVector v2 = FloatVector.fromArray(S, z, at + 2 * quarter).add(bias);
            FloatVector v3 = FloatVector.fromArray(S, z, at + 3 * quarter).add(bias);
            FloatVector best = v0.max(v1).max(v2.max(v3));
            if (training) {
                // the first position holding the max (or a NaN): blended from the last to the first; written out,
                // since a helper taking vectors that C2 declines to inline boxes them
                FloatVector code = FloatVector.broadcast(S, 3f)
                        .blend(2f, v2.compare(VectorOperators.EQ, best).or(v2.test(VectorOperators.IS_NAN)))
                        .blend(1f, v1.compare(VectorOperators.EQ, best).or(v1.test(VectorOperators.IS_NAN)))
                        .blend(0f, v0.compare(VectorOperators.EQ, best).or(v0.test(VectorOperators.IS_NAN)));
                code.intoArray(arg, yb + t);
            }
            // (no vector chosen by a conditional expression: C2 may box a vector merged from two paths)
            if (relu) {
                zero.blend(best, best.compare(VectorOperators.GT, 0f)).intoArray(y, yb + t);
            } else {
                best.intoArray(y, yb + t);
            }
        }
        if (vectorEnd < quarter) {
            ScalarWindowPool.INSTANCE.forward(z, zb + vectorEnd, bias, quarter, relu, y, yb + vectorEnd, arg, training, quarter - vectorEnd);
        }
    }

    @Override
    public double backward(float[] dy, float[] y, float[] arg, int yb, int quarter, boolean relu, float[] dz, int dzb) {
        int vectorEnd = quarter / VL * VL;
        FloatVector zero = FloatVector.zero(S);
        FloatVector sum = zero;
        // every lane kept without relu: one loop-invariant mask, rather than a vector merged from two paths
        VectorMask<Float> keepAll = S.maskAll(!relu);
        for (int t = 0; t < vectorEnd; t += VL) {
            VectorMask<Float> keep = FloatVector.fromArray(S, y, yb + t).compare(VectorOperators.GT, 0f).or(keepAll);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dy, yb + t), keep);
            FloatVector a = FloatVector.fromArray(S, arg, yb + t);
            int at = dzb + t;
            zero.blend(g, a.compare(VectorOperators.EQ, 0f)).intoArray(dz, at);
            zero.blend(g, a.compare(VectorOperators.EQ, 1f)).intoArray(dz, at + quarter);
            zero.blend(g, a.compare(VectorOperators.EQ, 2f)).intoArray(dz, at + 2 * quarter);
            zero.blend(g, a.compare(VectorOperators.EQ, 3f)).intoArray(dz, at + 3 * quarter);
            sum = sum.add(g);
        }
        double total = sum.reduceLanes(VectorOperators.ADD);
        if (vectorEnd < quarter) {
            total += ScalarWindowPool.INSTANCE.backward(dy, y, arg, yb + vectorEnd, quarter, relu, dz, dzb + vectorEnd, quarter - vectorEnd);
        }
        return total;
    }
}
