package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link WindowPool} with the Vector API: a vector of neighbouring windows at a time (four
 * contiguous loads), the last vector moved back to end at the last window (a plane of fewer windows
 * than a vector by the plain code; its tail was ~0.5 % of a training step by JFR). The max, argmax and gradient are
 * those of {@link ScalarWindowPool}, lane by lane; only the bias gradient's sum runs in float lanes
 * before it is added up in double.
 */
final class VectorWindowPool implements WindowPool {
    static final VectorWindowPool INSTANCE = new VectorWindowPool();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final FloatVector LANE = FloatVector.zero(S).addIndex(1);

    private VectorWindowPool() {
    }

    @Override
    public void forward(float[] z, int zb, float bias, int quarter, boolean relu, float[] y, int yb, float[] arg, boolean training) {
        if (quarter < VL) {
            ScalarWindowPool.INSTANCE.forward(z, zb, bias, quarter, relu, y, yb, arg, training, quarter);
            return;
        }
        int vectors = (quarter + VL - 1) / VL;
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < vectors; i++) {
            // the last vector moved back to end at the last window: the windows it shares with the one before get the same values again
            int t = Math.min(i * VL, quarter - VL);
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
                best.blend(zero, best.compare(VectorOperators.LT, 0f)).intoArray(y, yb + t); // NaN lanes stay NaN
            } else {
                best.intoArray(y, yb + t);
            }
        }
    }

    @Override
    public double backward(float[] dy, float[] y, float[] arg, int yb, int quarter, boolean relu, float[] dz, int dzb) {
        if (quarter < VL) {
            return ScalarWindowPool.INSTANCE.backward(dy, y, arg, yb, quarter, relu, dz, dzb, quarter);
        }
        int vectors = (quarter + VL - 1) / VL;
        FloatVector zero = FloatVector.zero(S);
        FloatVector sum = zero;
        // every lane kept without relu: one loop-invariant mask, rather than a vector merged from two paths
        VectorMask<Float> keepAll = S.maskAll(!relu);
        for (int i = 0; i < vectors; i++) {
            // the last vector moved back to end at the last window (as in forward): its windows shared with
            // the vector before are written again with the same gradients, and left out of the bias sum
            int t = Math.min(i * VL, quarter - VL);
            VectorMask<Float> fresh = LANE.compare(VectorOperators.GE, i * VL - t);
            VectorMask<Float> keep = FloatVector.fromArray(S, y, yb + t).compare(VectorOperators.GT, 0f).or(keepAll);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dy, yb + t), keep);
            FloatVector a = FloatVector.fromArray(S, arg, yb + t);
            int at = dzb + t;
            zero.blend(g, a.compare(VectorOperators.EQ, 0f)).intoArray(dz, at);
            zero.blend(g, a.compare(VectorOperators.EQ, 1f)).intoArray(dz, at + quarter);
            zero.blend(g, a.compare(VectorOperators.EQ, 2f)).intoArray(dz, at + 2 * quarter);
            zero.blend(g, a.compare(VectorOperators.EQ, 3f)).intoArray(dz, at + 3 * quarter);
            sum = sum.add(g, fresh);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
