package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DirectWindowConv}'s kernels with the Vector API: a vector of neighbouring windows of one
 * window row at a time, each tap one contiguous load from the deinterleaved planes. A row whose
 * length is not a whole number of vectors ends with a vector moved back to end at the row's end
 * (its shared lanes are stored twice, the same values); a row shorter than a vector goes through
 * a lane buffer.
 */
final class VectorDirectWindowConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();

    private VectorDirectWindowConv() {
    }

    /**
     * The {@code rows} window rows of one quarter for filter blocks [b0, b1) (four filters each,
     * weights [block][tap][4] in wt): output (py, px) of filter f to z[zRow + py * halfW + f * zLd + px],
     * input tap t of window (py, px) at x[at + py * xRowStep + px + tapAt[tq + t]].
     *
     * <p>The vector work is in small methods of one or two loops each. JDK 17's C2 boxes a vector
     * that is live at a loop's safepoint poll (an outer loop's, or the poll between the strips of a
     * short counted loop): sums kept across an outer loop over rows were boxed at every row (10x
     * slower in a harness; JFR showed the allocations in the Vector API's fallback). So no sum lives
     * across an outer loop here: each row's sums start and end inside one pass of the row loop.
     */
    static void forwardRows(float[] x, int at, int xRowStep, int rows, int[] tapAt, int tq, int taps, float[] wt, int b0, int b1,
                            int filters, float[] z, int zRow, int zLd, int halfW, float[] tmp) {
        for (int b = b0; b < b1; b++) {
            int f = b * 4;
            if (halfW >= VL && f + 4 <= filters) {
                forwardBlock(x, at, xRowStep, rows, tapAt, tq, taps, wt, b * taps * 4, z, zRow + f * zLd, zLd, halfW);
                continue;
            }
            // a row shorter than a vector, or the last block's missing filters: through the lane buffer
            for (int py = 0; py < rows; py++) {
                for (int px = 0; px < halfW; px += VL) {
                    int s = halfW >= VL ? Math.min(px, halfW - VL) : 0;
                    forwardLanes(x, at + py * xRowStep + s, tapAt, tq, taps, wt, b * taps * 4, tmp);
                    int n = Math.min(VL, halfW - s);
                    for (int j = 0; j < 4 && f + j < filters; j++) {
                        for (int l = 0; l < n; l++) {
                            z[zRow + py * halfW + (f + j) * zLd + s + l] = tmp[j * VL + l];
                        }
                    }
                }
            }
        }
    }

    /**
     * Four filters' outputs of a quarter's rows of at least a vector each, straight into z, two
     * vectors of windows per pass over the taps (eight independent multiply-add chains; a row's last
     * vector moved back to end at the row's end, and an odd one paired with itself). One loop over
     * the (row, vector pair) passes: a call per row spent about as long in its calls and loop set-up as
     * in its 72 multiply-adds (the Fashion net's rows are 14 windows: one pass).
     */
    private static void forwardBlock(float[] x, int at, int xRowStep, int rows, int[] tapAt, int tq, int taps, float[] wt, int wb,
                                     float[] z, int out, int zLd, int halfW) {
        int last = halfW - VL;
        int pairs = (halfW + 2 * VL - 1) / (2 * VL);
        for (int i = 0, py = 0, px = 0; i < rows * pairs; i++) {
            int s = Math.min(px, last);
            int u = Math.min(px + VL, last);
            int a = at + py * xRowStep + s;
            int c = at + py * xRowStep + u;
            int row = out + py * halfW;
            px += 2 * VL;
            if (px >= halfW) {
                px = 0;
                py++;
            }
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector c2 = a0;
            FloatVector c3 = a0;
            for (int t = 0; t < taps; t++) {
                int o = tapAt[tq + t];
                FloatVector xa = FloatVector.fromArray(S, x, a + o);
                FloatVector xc = FloatVector.fromArray(S, x, c + o);
                int k = wb + 4 * t;
                FloatVector w = FloatVector.broadcast(S, wt[k]);
                a0 = xa.fma(w, a0);
                c0 = xc.fma(w, c0);
                w = FloatVector.broadcast(S, wt[k + 1]);
                a1 = xa.fma(w, a1);
                c1 = xc.fma(w, c1);
                w = FloatVector.broadcast(S, wt[k + 2]);
                a2 = xa.fma(w, a2);
                c2 = xc.fma(w, c2);
                w = FloatVector.broadcast(S, wt[k + 3]);
                a3 = xa.fma(w, a3);
                c3 = xc.fma(w, c3);
            }
            int o = row + s;
            a0.intoArray(z, o);
            a1.intoArray(z, o + zLd);
            a2.intoArray(z, o + 2 * zLd);
            a3.intoArray(z, o + 3 * zLd);
            o = row + u;
            c0.intoArray(z, o);
            c1.intoArray(z, o + zLd);
            c2.intoArray(z, o + 2 * zLd);
            c3.intoArray(z, o + 3 * zLd);
        }
    }

    /** Four filters' outputs of one vector of windows into tmp[0, 4 VL). */
    private static void forwardLanes(float[] x, int a, int[] tapAt, int tq, int taps, float[] wt, int wb, float[] tmp) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int t = 0; t < taps; t++) {
            FloatVector xv = FloatVector.fromArray(S, x, a + tapAt[tq + t]);
            int k = wb + 4 * t;
            a0 = xv.fma(FloatVector.broadcast(S, wt[k]), a0);
            a1 = xv.fma(FloatVector.broadcast(S, wt[k + 1]), a1);
            a2 = xv.fma(FloatVector.broadcast(S, wt[k + 2]), a2);
            a3 = xv.fma(FloatVector.broadcast(S, wt[k + 3]), a3);
        }
        a0.intoArray(tmp, 0);
        a1.intoArray(tmp, VL);
        a2.intoArray(tmp, 2 * VL);
        a3.intoArray(tmp, 3 * VL);
    }
}
