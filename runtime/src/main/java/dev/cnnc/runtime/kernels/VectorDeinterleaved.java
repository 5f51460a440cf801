package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Deinterleaved#copy} with the Vector API: two vectors of a row (2 VL columns) at a time,
 * their even and odd columns gathered into one vector each by in-register permutes and stored as one
 * run in each half. The plain copy reads with a stride of two, which C2 leaves scalar: about 1 ns a
 * float (throwaway harness, 14x14 planes: 204 ns a plane against 94 ns here), and it ran twice per
 * training step over every input plane of a Winograd convolution, ~4 % of the step (JFR).
 *
 * <p>Lanes past the row's end are stored as zeros: they land in the padding to the right of the
 * row, which the plain copy leaves zero and so this copy does too. Where a half row has no room for a
 * whole vector there, or the last row's loads would run past the input, the plain copy runs.
 */
final class VectorDeinterleaved {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /**
     * Even (odd) columns of two vectors a, b: a's into the low half of lanes, b's into the high half,
     * each a single-vector permute (a two-vector rearrange ran 2x slower than the plain copy in the harness).
     */
    private static final VectorShuffle<Float> LOW_EVENS = VectorShuffle.fromOp(S, i -> i < VL / 2 ? 2 * i : 0);
    private static final VectorShuffle<Float> HIGH_EVENS = VectorShuffle.fromOp(S, i -> i >= VL / 2 ? 2 * i - VL : 0);
    private static final VectorShuffle<Float> LOW_ODDS = VectorShuffle.fromOp(S, i -> i < VL / 2 ? 2 * i + 1 : 0);
    private static final VectorShuffle<Float> HIGH_ODDS = VectorShuffle.fromOp(S, i -> i >= VL / 2 ? 2 * i + 1 - VL : 0);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, ((1L << VL) - 1) & ~((1L << (VL / 2)) - 1));
    /** 0, 2, 4, ...: lane j of a gathered vector holds the column 2j (or 2j + 1) of its two vectors. */
    private static final FloatVector TWICE_LANE = FloatVector.zero(S).addIndex(2);

    private VectorDeinterleaved() {
    }

    /** As {@link Deinterleaved#copy}: plane [h][w] at {@code src} into eo at padded row y + ph and column x + pw. */
    static void copy(float[] in, int src, int h, int w, int ph, int pw, float[] eo, int at, int hr) {
        int chunks = (w + 2 * VL - 1) / (2 * VL);
        int lastX0 = (chunks - 1) * 2 * VL;
        // input column x lands in half (x + pw) & 1 at (x + pw) >> 1: even x in one half, odd x in the other
        int evenAt = (pw & 1) * hr + (pw >> 1);
        int oddAt = (1 - (pw & 1)) * hr + ((1 + pw) >> 1);
        if ((pw >> 1) + lastX0 / 2 + VL > hr || ((1 + pw) >> 1) + lastX0 / 2 + VL > hr
                || (long) src + (long) (h - 1) * w + lastX0 + 2 * VL > in.length) {
            Deinterleaved.copy(in, src, h, w, ph, pw, eo, at, hr);
            return;
        }
        FloatVector zero = FloatVector.zero(S);
        // one loop over (row, chunk), so no vector is live across an outer loop's safepoint poll (C2 boxes it there)
        int n = h * chunks;
        for (int i = 0, y = 0, x0 = 0; i < n; i++) {
            int s = src + y * w + x0;
            int row = at + (y + ph) * 2 * hr + x0 / 2;
            FloatVector a = FloatVector.fromArray(S, in, s);
            FloatVector b = FloatVector.fromArray(S, in, s + VL);
            float left = w - x0;
            FloatVector evens = a.rearrange(LOW_EVENS).blend(b.rearrange(HIGH_EVENS), HIGH_HALF);
            FloatVector odds = a.rearrange(LOW_ODDS).blend(b.rearrange(HIGH_ODDS), HIGH_HALF);
            if (left < 2 * VL) {
                // the row ends inside this chunk: the lanes past it (the next row's values) become the border's zeros
                evens = evens.blend(zero, TWICE_LANE.compare(VectorOperators.GE, left));
                odds = odds.blend(zero, TWICE_LANE.compare(VectorOperators.GE, left - 1));
            }
            evens.intoArray(eo, row + evenAt);
            odds.intoArray(eo, row + oddAt);
            x0 += 2 * VL;
            if (x0 >= w) {
                x0 = 0;
                y++;
            }
        }
    }
}
