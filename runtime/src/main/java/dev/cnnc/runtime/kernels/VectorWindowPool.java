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
                // the first position holding the max: blended from the last to the first
                FloatVector code = FloatVector.broadcast(S, 3f)
                        .blend(2f, isMax(v2, best))
                        .blend(1f, isMax(v1, best))
                        .blend(0f, isMax(v0, best));
                code.intoArray(arg, yb + t);
            }
            (relu ? zero.blend(best, best.compare(VectorOperators.GT, 0f)) : best).intoArray(y, yb + t);
        }
        if (vectorEnd < quarter) {
            ScalarWindowPool.INSTANCE.forward(z, zb + vectorEnd, bias, quarter, relu, y, yb + vectorEnd, arg, training, quarter - vectorEnd);
        }
    }

    private static VectorMask<Float> isMax(FloatVector v, FloatVector best) {
        return v.compare(VectorOperators.EQ, best).or(v.test(VectorOperators.IS_NAN));
    }

    @Override
    public double backward(float[] dy, float[] y, float[] arg, int yb, int quarter, boolean relu, float[] dz, int dzb) {
        int vectorEnd = quarter / VL * VL;
        FloatVector zero = FloatVector.zero(S);
        FloatVector sum = zero;
        for (int t = 0; t < vectorEnd; t += VL) {
            FloatVector g = FloatVector.fromArray(S, dy, yb + t);
            if (relu) {
                g = zero.blend(g, FloatVector.fromArray(S, y, yb + t).compare(VectorOperators.GT, 0f));
            }
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
