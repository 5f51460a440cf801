package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DirectWindowConv}'s kernels with the Vector API: a vector of neighbouring windows of one
 * window row at a time, each tap one contiguous load from the deinterleaved planes. A row whose
 * length is not a whole number of vectors ends with a vector moved back to end at the row's end
 * (forward stores the shared lanes twice, the same values; the weight gradient multiplies them
 * by a zero lane mask); a row shorter than a vector goes through a lane buffer.
 */
final class VectorDirectWindowConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();

    private VectorDirectWindowConv() {
    }

    /**
     * One window row of filter blocks [b0, b1) (four filters each, weights [block][tap][4] in wt):
     * output px of filter f to z[zRow + f * zLd + px], input tap t of window px at
     * x[at + px + tapAt[tq + t]].
     *
     * <p>The vector work is in small methods of one or two loops each. JDK 17's C2 boxes a vector
     * that is live at a loop's safepoint poll (an outer loop's, or the poll between the strips of a
     * short counted loop): sums kept across an outer loop over rows were boxed at every row (10x
     * slower in a harness; JFR showed the allocations in the Vector API's fallback). So no sum lives
     * across an outer loop here; the forward's eight sums are still boxed once per pass over the
     * taps (a few JFR allocation samples), a cost left for later.
     */
    static void forwardRow(float[] x, int at, int[] tapAt, int tq, int taps, float[] wt, int b0, int b1, int filters, float[] z,
                           int zRow, int zLd, int halfW, float[] tmp) {
        for (int b = b0; b < b1; b++) {
            int f = b * 4;
            if (halfW >= VL && f + 4 <= filters) {
                forwardBlock(x, at, tapAt, tq, taps, wt, b * taps * 4, z, zRow + f * zLd, zLd, halfW);
                continue;
            }
            // a row shorter than a vector, or the last block's missing filters: through the lane buffer
            for (int px = 0; px < halfW; px += VL) {
                int s = halfW >= VL ? Math.min(px, halfW - VL) : 0;
                forwardLanes(x, at + s, tapAt, tq, taps, wt, b * taps * 4, tmp);
                int n = Math.min(VL, halfW - s);
                for (int j = 0; j < 4 && f + j < filters; j++) {
                    for (int l = 0; l < n; l++) {
                        z[zRow + (f + j) * zLd + s + l] = tmp[j * VL + l];
                    }
                }
            }
        }
    }

    /**
     * Four filters' outputs of a row of at least a vector, straight into z, two vectors of windows
     * per pass over the taps (eight independent multiply-add chains; a last vector moved back to
     * end at the row's end, and an odd one paired with itself).
     */
    private static void forwardBlock(float[] x, int at, int[] tapAt, int tq, int taps, float[] wt, int wb, float[] z, int out, int zLd,
                                     int halfW) {
        int last = halfW - VL;
        for (int px = 0; px < halfW; px += 2 * VL) {
            int s = Math.min(px, last);
            int u = Math.min(px + VL, last);
            int a = at + s;
            int c = at + u;
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
            int o = out + s;
            a0.intoArray(z, o);
            a1.intoArray(z, o + zLd);
            a2.intoArray(z, o + 2 * zLd);
            a3.intoArray(z, o + 3 * zLd);
            o = out + u;
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

    /**
     * Sums over every window of a group's examples of dz x input for three filters (dz rows at dzA,
     * dzB, dzC) by three taps t0 .. t0 + 2 (the first {@code nt} real; the others repeat t0 and are
     * ignored): sums[j * 3 + k] for filter j, tap t0 + k. {@code tmp} holds 9 VL floats of partial
     * sums, then 2 VL of lane masks and 3 VL of short rows' copies.
     */
    static void weightGradient(float[] x, int xAt, int exStride, int examples, int[] tapAt, int taps, int t0, int nt, float[] dz, int dzA,
                               int dzB, int dzC, int plane, int quarter, int halfW, int pyStep, int rows, float[] tmp, float[] sums) {
        int last = halfW - VL;
        int full = halfW / VL * VL;
        int masks = 9 * VL;
        // lane masks: all ones, and the lanes an overlapping last vector did not share with the one
        // before it (chosen by offset: C2 boxes a vector merged from two branches)
        for (int l = 0; l < VL; l++) {
            tmp[masks + l] = 1f;
            tmp[masks + VL + l] = l >= full - last ? 1f : 0f;
        }
        for (int l = 0; l < 9 * VL; l++) {
            tmp[l] = 0f;
        }
        for (int e = 0; e < examples; e++) {
            for (int q = 0; q < 4; q++) {
                int tq = q * taps + t0;
                int xq = xAt + e * exStride;
                int g = e * plane + q * quarter;
                int o0 = tapAt[tq];
                int o1 = tapAt[tq + Math.min(1, nt - 1)];
                int o2 = tapAt[tq + Math.min(2, nt - 1)];
                if (last >= 0) {
                    quarterSums(x, xq, o0, o1, o2, pyStep, dz, dzA + g, dzB + g, dzC + g, rows, halfW, tmp);
                } else {
                    shortRowSums(x, xq, o0, o1, o2, pyStep, dz, dzA + g, dzB + g, dzC + g, rows, halfW, tmp);
                }
            }
        }
        for (int k = 0; k < 9; k++) {
            float sum = 0f;
            for (int l = 0; l < VL; l++) {
                sum += tmp[k * VL + l];
            }
            sums[k] = sum;
        }
    }

    /** The partial sums in tmp[0, 9 VL) plus one quarter's rows of at least a vector each. */
    private static void quarterSums(float[] x, int xq, int o0, int o1, int o2, int pyStep, float[] dz, int ga, int gb, int gc, int rows,
                                    int halfW, float[] tmp) {
        int last = halfW - VL;
        int masks = 9 * VL;
        FloatVector c00 = FloatVector.fromArray(S, tmp, 0), c01 = FloatVector.fromArray(S, tmp, VL);
        FloatVector c02 = FloatVector.fromArray(S, tmp, 2 * VL), c10 = FloatVector.fromArray(S, tmp, 3 * VL);
        FloatVector c11 = FloatVector.fromArray(S, tmp, 4 * VL), c12 = FloatVector.fromArray(S, tmp, 5 * VL);
        FloatVector c20 = FloatVector.fromArray(S, tmp, 6 * VL), c21 = FloatVector.fromArray(S, tmp, 7 * VL);
        FloatVector c22 = FloatVector.fromArray(S, tmp, 8 * VL);
        // one loop over the quarter's vectors (row by row): with an outer loop over rows, JDK 17's C2
        // boxed the sums at that loop's safepoint poll, allocating at every row (8x slower in a harness)
        int perRow = (halfW + VL - 1) / VL;
        for (int i = 0, py = 0, px = 0; i < rows * perRow; i++) {
            int s = Math.min(px, last);
            FloatVector keep = FloatVector.fromArray(S, tmp, masks + (s < px ? VL : 0));
            int row = py * halfW + s;
            FloatVector da = FloatVector.fromArray(S, dz, ga + row).mul(keep);
            FloatVector db = FloatVector.fromArray(S, dz, gb + row).mul(keep);
            FloatVector dc = FloatVector.fromArray(S, dz, gc + row).mul(keep);
            int a = xq + py * pyStep + s;
            px += VL;
            if (px >= halfW) {
                px = 0;
                py++;
            }
            FloatVector x0 = FloatVector.fromArray(S, x, a + o0);
            FloatVector x1 = FloatVector.fromArray(S, x, a + o1);
            FloatVector x2 = FloatVector.fromArray(S, x, a + o2);
            c00 = da.fma(x0, c00);
            c01 = da.fma(x1, c01);
            c02 = da.fma(x2, c02);
            c10 = db.fma(x0, c10);
            c11 = db.fma(x1, c11);
            c12 = db.fma(x2, c12);
            c20 = dc.fma(x0, c20);
            c21 = dc.fma(x1, c21);
            c22 = dc.fma(x2, c22);
        }
        c00.intoArray(tmp, 0);
        c01.intoArray(tmp, VL);
        c02.intoArray(tmp, 2 * VL);
        c10.intoArray(tmp, 3 * VL);
        c11.intoArray(tmp, 4 * VL);
        c12.intoArray(tmp, 5 * VL);
        c20.intoArray(tmp, 6 * VL);
        c21.intoArray(tmp, 7 * VL);
        c22.intoArray(tmp, 8 * VL);
    }

    /** As {@link #quarterSums} for rows shorter than a vector: each row's dz copied past the masks, zero beyond the row. */
    private static void shortRowSums(float[] x, int xq, int o0, int o1, int o2, int pyStep, float[] dz, int ga, int gb, int gc, int rows,
                                     int halfW, float[] tmp) {
        int copy = 11 * VL;
        for (int l = 0; l < 3 * VL; l++) {
            tmp[copy + l] = 0f;
        }
        for (int py = 0; py < rows; py++) {
            for (int l = 0; l < halfW; l++) {
                tmp[copy + l] = dz[ga + py * halfW + l];
                tmp[copy + VL + l] = dz[gb + py * halfW + l];
                tmp[copy + 2 * VL + l] = dz[gc + py * halfW + l];
            }
            rowSums(x, xq + py * pyStep, o0, o1, o2, tmp, copy);
        }
    }

    /** The partial sums in tmp[0, 9 VL) plus one vector: dz of the three filters at tmp[g], tmp[g + VL], tmp[g + 2 VL]. */
    private static void rowSums(float[] x, int a, int o0, int o1, int o2, float[] tmp, int g) {
        FloatVector da = FloatVector.fromArray(S, tmp, g);
        FloatVector db = FloatVector.fromArray(S, tmp, g + VL);
        FloatVector dc = FloatVector.fromArray(S, tmp, g + 2 * VL);
        FloatVector x0 = FloatVector.fromArray(S, x, a + o0);
        FloatVector x1 = FloatVector.fromArray(S, x, a + o1);
        FloatVector x2 = FloatVector.fromArray(S, x, a + o2);
        da.fma(x0, FloatVector.fromArray(S, tmp, 0)).intoArray(tmp, 0);
        da.fma(x1, FloatVector.fromArray(S, tmp, VL)).intoArray(tmp, VL);
        da.fma(x2, FloatVector.fromArray(S, tmp, 2 * VL)).intoArray(tmp, 2 * VL);
        db.fma(x0, FloatVector.fromArray(S, tmp, 3 * VL)).intoArray(tmp, 3 * VL);
        db.fma(x1, FloatVector.fromArray(S, tmp, 4 * VL)).intoArray(tmp, 4 * VL);
        db.fma(x2, FloatVector.fromArray(S, tmp, 5 * VL)).intoArray(tmp, 5 * VL);
        dc.fma(x0, FloatVector.fromArray(S, tmp, 6 * VL)).intoArray(tmp, 6 * VL);
        dc.fma(x1, FloatVector.fromArray(S, tmp, 7 * VL)).intoArray(tmp, 7 * VL);
        dc.fma(x2, FloatVector.fromArray(S, tmp, 8 * VL)).intoArray(tmp, 8 * VL);
    }
}
