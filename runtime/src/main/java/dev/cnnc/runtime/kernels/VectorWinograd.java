package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Winograd}'s tile transforms with the Vector API, a vector of neighbouring tiles at a time
 * (the scalar ones cost more than the products they save). Tiles of one row overlap by two
 * columns, so their columns are strided by 2: planes are held deinterleaved (even columns, then
 * odd columns, per row), which makes column 2tx + j of every tile in a vector one contiguous load:
 * E[tx], O[tx], E[tx + 1], O[tx + 1] for j = 0..3.
 */
final class VectorWinograd {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();

    private VectorWinograd() {
    }

    /** Floats per half row of a deinterleaved plane: the tiles in whole vectors, plus a vector for the loads at tx + 1. */
    static int halfRow(int tilesX) {
        return (tilesX + VL - 1) / VL * VL + VL;
    }

    /** Column j's lane source in a vector of interleaved columns: lanes 2i and 2i + 1 both take lane i (or VL/2 + i). */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S, i -> i / 2);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S, i -> VL / 2 + i / 2);
    private static final VectorMask<Float> ODD_LANES = VectorMask.fromLong(S, 0xAAAAAAAAAAAAAAAAL & ((1L << VL) - 1));
    private static final FloatVector LANE = FloatVector.zero(S).addIndex(1);

    /**
     * The end of {@link #inverseTransformInput}: plane [h][w] at {@code dst} overwritten with the
     * sums of the four column planes' shares: even padded column 2k gets col0[k] + col2[k - 1],
     * odd column 2k + 1 gets col1[k] + col3[k - 1]; col0[k] and col1[k] only for a tile k, since the
     * lanes past the last tile wrote there.
     *
     * <p>Two vectors of a row at a time: a vector of its even columns' sums and one of its odd
     * columns', zipped by in-register permutes (the plain loops read with a stride of two and stayed
     * scalar: ~3 % of a training step by JFR). A row's last two vectors may run past its end into the
     * rows after it, which are written later; the rows whose vectors would run past the plane are
     * done by the plain loops, last.
     */
    static void interleaveColumns(float[] cols, int hr, int tilesX, int h, int w, int ph, int pw, float[] out, int dst) {
        int q = 4 * hr; // one padded row: the four column planes' rows side by side, each shifted by one
        int chunks = (w + 2 * VL - 1) / (2 * VL);
        int lastX0 = (chunks - 1) * 2 * VL;
        // rows whose vectors end inside the plane; and none if the last of them would read past the column planes
        int vectorRows = Math.max(0, Math.min(h, Math.floorDiv(h * w - chunks * 2 * VL, w) + 1));
        if (vectorRows > 0 && (vectorRows - 1 + ph) * q + 1 + 3 * hr + ((lastX0 + pw + 1) >> 1) + VL > cols.length) {
            vectorRows = 0;
        }
        // output column x is padded column x + pw: half (x + pw) & 1 at k = (x + pw) >> 1
        int evenHalf = (pw & 1) * hr;
        int oddHalf = (1 - (pw & 1)) * hr;
        FloatVector zero = FloatVector.zero(S);
        // one loop over (row, chunk), so no vector is live across an outer loop's safepoint poll (C2 boxes it there)
        int n = vectorRows * chunks;
        for (int i = 0, y = 0, x0 = 0; i < n; i++) {
            int row = (y + ph) * q + 1;
            int kEven = (x0 + pw) >> 1;
            int kOdd = (x0 + pw + 1) >> 1;
            int at = row + evenHalf + kEven;
            FloatVector even = zero.blend(FloatVector.fromArray(S, cols, at), LANE.compare(VectorOperators.LT, tilesX - kEven))
                    .add(FloatVector.fromArray(S, cols, at + 2 * hr - 1));
            at = row + oddHalf + kOdd;
            FloatVector odd = zero.blend(FloatVector.fromArray(S, cols, at), LANE.compare(VectorOperators.LT, tilesX - kOdd))
                    .add(FloatVector.fromArray(S, cols, at + 2 * hr - 1));
            int d = dst + y * w + x0;
            even.rearrange(ZIP_LOW).blend(odd.rearrange(ZIP_LOW), ODD_LANES).intoArray(out, d);
            even.rearrange(ZIP_HIGH).blend(odd.rearrange(ZIP_HIGH), ODD_LANES).intoArray(out, d + VL);
            x0 += 2 * VL;
            if (x0 >= w) {
                x0 = 0;
                y++;
            }
        }
        interleaveRows(cols, hr, tilesX, vectorRows, h, w, ph, pw, out, dst);
    }

    /** {@link #interleaveColumns} of rows [y0, y1) by plain loops, one per parity of the padded column. */
    private static void interleaveRows(float[] cols, int hr, int tilesX, int y0, int y1, int w, int ph, int pw, float[] out, int dst) {
        int q = 4 * hr;
        int evenFrom = pw & 1; // the first x whose padded column is even
        int oddFrom = 1 - evenFrom;
        for (int y = y0; y < y1; y++) {
            int row = (y + ph) * q + 1;
            int d = dst + y * w;
            for (int x = evenFrom, k = (evenFrom + pw) >> 1; x < w; x += 2, k++) {
                int at = row + k;
                out[d + x] = (k < tilesX ? cols[at] : 0f) + cols[at + 2 * hr - 1];
            }
            for (int x = oddFrom, k = (oddFrom + pw) >> 1; x < w; x += 2, k++) {
                int at = row + hr + k;
                out[d + x] = (k < tilesX ? cols[at] : 0f) + cols[at + 2 * hr - 1];
            }
        }
    }

    /**
     * B^T d B of every tile of one deinterleaved plane: point x of tile (ty, tx) to
     * v[at + x * stride + ty * tilesX + tx]. A row's last vector writes up to VL - 1 tiles past the
     * row: the next row overwrites them, and the caller leaves room after the last.
     *
     * <p>B^T d down the columns gives rows d0 - d2, d1 + d2, d2 - d1, d1 - d3 of the tiles, each then
     * combined along the row (t0 - t2, t1 + t2, t2 - t1, t1 - t3) into four points. The work is two
     * methods of two row combinations each, and that split is what keeps the Vector API compiled:
     * one method for all 16 points fell back to boxed lanes (9 GB allocated in a 30 s bench), and
     * four small helpers called from one loop were inlined into it until C2's node budget ran out
     * at the fourth (NodeCountInliningCutoff in -XX:+PrintInlining), which then ran the API's
     * non-intrinsic fallback (a tenth of an inference bench's samples). Each method here is over
     * C2's inlining size for hot calls (325 bytes of bytecode), so it is always compiled on its own,
     * with its 40-odd vector operations, well within the budget.
     */
    static void transformInput(float[] eo, int hr, int tilesY, int tilesX, float[] v, int at, int stride) {
        for (int ty = 0; ty < tilesY; ty++) {
            int r0 = 2 * ty * 2 * hr;
            int r1 = r0 + 2 * hr;
            int r2 = r1 + 2 * hr;
            int r3 = r2 + 2 * hr;
            int o = at + ty * tilesX;
            upperPoints(eo, r0, r1, r2, hr, tilesX, v, o, stride);
            lowerPoints(eo, r1, r2, r3, hr, tilesX, v, o + 8 * stride, stride);
        }
    }

    /**
     * Points 0-7 of a row of tiles: rows d0 - d2 and d1 + d2 (rows r0, r1, r2 of the plane), each along
     * the row. Columns E[tx], O[tx], E[tx + 1], O[tx + 1] of VL tiles are four contiguous loads.
     */
    private static void upperPoints(float[] eo, int r0, int r1, int r2, int hr, int tilesX, float[] v, int o, int stride) {
        for (int tx = 0; tx < tilesX; tx += VL) {
            int p = r0 + tx;
            int q = r2 + tx;
            FloatVector t0 = FloatVector.fromArray(S, eo, p).sub(FloatVector.fromArray(S, eo, q));
            FloatVector t1 = FloatVector.fromArray(S, eo, p + hr).sub(FloatVector.fromArray(S, eo, q + hr));
            FloatVector t2 = FloatVector.fromArray(S, eo, p + 1).sub(FloatVector.fromArray(S, eo, q + 1));
            FloatVector t3 = FloatVector.fromArray(S, eo, p + hr + 1).sub(FloatVector.fromArray(S, eo, q + hr + 1));
            int d = o + tx;
            t0.sub(t2).intoArray(v, d);
            t1.add(t2).intoArray(v, d + stride);
            t2.sub(t1).intoArray(v, d + 2 * stride);
            t1.sub(t3).intoArray(v, d + 3 * stride);
            p = r1 + tx;
            t0 = FloatVector.fromArray(S, eo, p).add(FloatVector.fromArray(S, eo, q));
            t1 = FloatVector.fromArray(S, eo, p + hr).add(FloatVector.fromArray(S, eo, q + hr));
            t2 = FloatVector.fromArray(S, eo, p + 1).add(FloatVector.fromArray(S, eo, q + 1));
            t3 = FloatVector.fromArray(S, eo, p + hr + 1).add(FloatVector.fromArray(S, eo, q + hr + 1));
            d += 4 * stride;
            t0.sub(t2).intoArray(v, d);
            t1.add(t2).intoArray(v, d + stride);
            t2.sub(t1).intoArray(v, d + 2 * stride);
            t1.sub(t3).intoArray(v, d + 3 * stride);
        }
    }

    /** Points 8-15 of a row of tiles: rows d2 - d1 and d1 - d3 (rows r1, r2, r3 of the plane), as {@link #upperPoints}. */
    private static void lowerPoints(float[] eo, int r1, int r2, int r3, int hr, int tilesX, float[] v, int o, int stride) {
        for (int tx = 0; tx < tilesX; tx += VL) {
            int p = r2 + tx;
            int q = r1 + tx;
            FloatVector t0 = FloatVector.fromArray(S, eo, p).sub(FloatVector.fromArray(S, eo, q));
            FloatVector t1 = FloatVector.fromArray(S, eo, p + hr).sub(FloatVector.fromArray(S, eo, q + hr));
            FloatVector t2 = FloatVector.fromArray(S, eo, p + 1).sub(FloatVector.fromArray(S, eo, q + 1));
            FloatVector t3 = FloatVector.fromArray(S, eo, p + hr + 1).sub(FloatVector.fromArray(S, eo, q + hr + 1));
            int d = o + tx;
            t0.sub(t2).intoArray(v, d);
            t1.add(t2).intoArray(v, d + stride);
            t2.sub(t1).intoArray(v, d + 2 * stride);
            t1.sub(t3).intoArray(v, d + 3 * stride);
            p = r1 + tx;
            q = r3 + tx;
            t0 = FloatVector.fromArray(S, eo, p).sub(FloatVector.fromArray(S, eo, q));
            t1 = FloatVector.fromArray(S, eo, p + hr).sub(FloatVector.fromArray(S, eo, q + hr));
            t2 = FloatVector.fromArray(S, eo, p + 1).sub(FloatVector.fromArray(S, eo, q + 1));
            t3 = FloatVector.fromArray(S, eo, p + hr + 1).sub(FloatVector.fromArray(S, eo, q + hr + 1));
            d += 4 * stride;
            t0.sub(t2).intoArray(v, d);
            t1.add(t2).intoArray(v, d + stride);
            t2.sub(t1).intoArray(v, d + 2 * stride);
            t1.sub(t3).intoArray(v, d + 3 * stride);
        }
    }

    /** Floats of the column planes {@link #inverseTransformInput} adds into, for planes of {@code rows} padded rows. */
    static int columnPlanes(int rows, int hr) {
        return rows * 4 * hr;
    }

    /**
     * B P B^T of every tile of one plane, P's point x of tile (ty, tx) at v[at + x * stride + ty * tilesX + tx].
     * A tile's four columns go to four separate planes (column j of tile tx at row r * 4hr + j * hr + 1 + tx),
     * so every vector lands at the same lanes as its neighbours above and below, never at an offset of
     * one float from a store before it; {@link #interleaveColumns} adds the overlapping columns.
     *
     * <p>Each column method walks its tile column down the plane: the two rows a tile shares with the
     * tile below it are carried in registers and added to that tile's first two, so every row is
     * stored once, with no clearing and no read-modify-write (before, the 16 values of each tile were
     * added into a cleared plane). Lanes past the row's last tile (the next row's tiles) land past the
     * row's tiles in every column plane, where {@link #interleaveColumns} does not read for the
     * row. Nothing writes the first float of a column plane's row (column -1, read as zero) or the
     * last vector of a half row: they keep the zeros of the buffer's allocation.
     */
    static void inverseTransformInput(float[] v, int at, int stride, int tilesY, int tilesX, float[] cols, int hr) {
        int row = 4 * hr;
        for (int tx = 0; tx < tilesX; tx += VL) {
            int o = at + tx;
            // B along each row of P, then down each column; one method per tile column, each small
            // enough for C2 to keep its vectors in registers (one method for all 16 ran 4x slower)
            column0(v, o, stride, tilesY, tilesX, cols, 1 + tx, row);
            column1(v, o, stride, tilesY, tilesX, cols, 1 + hr + tx, row);
            column2(v, o, stride, tilesY, tilesX, cols, 1 + 2 * hr + tx, row);
            column3(v, o, stride, tilesY, tilesX, cols, 1 + 3 * hr + tx, row);
        }
    }

    /*
     * The tile columns: (a, b, c, d), one value per row of the tile after B along the rows of P, go
     * down the column as (a, b - c + d, b + c - a, -d); the last two are the next tile's carry.
     */

    /** Tile column 0: (p0) of each row of P. */
    private static void column0(float[] v, int o, int stride, int tilesY, int tilesX, float[] cols, int at, int row) {
        FloatVector carry0 = FloatVector.zero(S);
        FloatVector carry1 = carry0;
        for (int ty = 0; ty < tilesY; ty++, o += tilesX, at += 2 * row) {
            FloatVector a = FloatVector.fromArray(S, v, o);
            FloatVector b = FloatVector.fromArray(S, v, o + 4 * stride);
            FloatVector c = FloatVector.fromArray(S, v, o + 8 * stride);
            FloatVector d = FloatVector.fromArray(S, v, o + 12 * stride);
            carry0.add(a).intoArray(cols, at);
            carry1.add(b.sub(c).add(d)).intoArray(cols, at + row);
            carry0 = b.add(c).sub(a);
            carry1 = d.neg();
        }
        carry0.intoArray(cols, at);
        carry1.intoArray(cols, at + row);
    }

    /** Tile column 1: (p1 - p2 + p3) of each row of P. */
    private static void column1(float[] v, int o, int stride, int tilesY, int tilesX, float[] cols, int at, int row) {
        FloatVector carry0 = FloatVector.zero(S);
        FloatVector carry1 = carry0;
        for (int ty = 0; ty < tilesY; ty++, o += tilesX, at += 2 * row) {
            FloatVector a = FloatVector.fromArray(S, v, o + stride).sub(FloatVector.fromArray(S, v, o + 2 * stride))
                    .add(FloatVector.fromArray(S, v, o + 3 * stride));
            FloatVector b = FloatVector.fromArray(S, v, o + 5 * stride).sub(FloatVector.fromArray(S, v, o + 6 * stride))
                    .add(FloatVector.fromArray(S, v, o + 7 * stride));
            FloatVector c = FloatVector.fromArray(S, v, o + 9 * stride).sub(FloatVector.fromArray(S, v, o + 10 * stride))
                    .add(FloatVector.fromArray(S, v, o + 11 * stride));
            FloatVector d = FloatVector.fromArray(S, v, o + 13 * stride).sub(FloatVector.fromArray(S, v, o + 14 * stride))
                    .add(FloatVector.fromArray(S, v, o + 15 * stride));
            carry0.add(a).intoArray(cols, at);
            carry1.add(b.sub(c).add(d)).intoArray(cols, at + row);
            carry0 = b.add(c).sub(a);
            carry1 = d.neg();
        }
        carry0.intoArray(cols, at);
        carry1.intoArray(cols, at + row);
    }

    /** Tile column 2: (p1 + p2 - p0) of each row of P. */
    private static void column2(float[] v, int o, int stride, int tilesY, int tilesX, float[] cols, int at, int row) {
        FloatVector carry0 = FloatVector.zero(S);
        FloatVector carry1 = carry0;
        for (int ty = 0; ty < tilesY; ty++, o += tilesX, at += 2 * row) {
            FloatVector a = FloatVector.fromArray(S, v, o + stride).add(FloatVector.fromArray(S, v, o + 2 * stride))
                    .sub(FloatVector.fromArray(S, v, o));
            FloatVector b = FloatVector.fromArray(S, v, o + 5 * stride).add(FloatVector.fromArray(S, v, o + 6 * stride))
                    .sub(FloatVector.fromArray(S, v, o + 4 * stride));
            FloatVector c = FloatVector.fromArray(S, v, o + 9 * stride).add(FloatVector.fromArray(S, v, o + 10 * stride))
                    .sub(FloatVector.fromArray(S, v, o + 8 * stride));
            FloatVector d = FloatVector.fromArray(S, v, o + 13 * stride).add(FloatVector.fromArray(S, v, o + 14 * stride))
                    .sub(FloatVector.fromArray(S, v, o + 12 * stride));
            carry0.add(a).intoArray(cols, at);
            carry1.add(b.sub(c).add(d)).intoArray(cols, at + row);
            carry0 = b.add(c).sub(a);
            carry1 = d.neg();
        }
        carry0.intoArray(cols, at);
        carry1.intoArray(cols, at + row);
    }

    /** Tile column 3: (-p3) of each row of P. */
    private static void column3(float[] v, int o, int stride, int tilesY, int tilesX, float[] cols, int at, int row) {
        FloatVector carry0 = FloatVector.zero(S);
        FloatVector carry1 = carry0;
        for (int ty = 0; ty < tilesY; ty++, o += tilesX, at += 2 * row) {
            FloatVector a = FloatVector.fromArray(S, v, o + 3 * stride).neg();
            FloatVector b = FloatVector.fromArray(S, v, o + 7 * stride).neg();
            FloatVector c = FloatVector.fromArray(S, v, o + 11 * stride).neg();
            FloatVector d = FloatVector.fromArray(S, v, o + 15 * stride).neg();
            carry0.add(a).intoArray(cols, at);
            carry1.add(b.sub(c).add(d)).intoArray(cols, at + row);
            carry0 = b.add(c).sub(a);
            carry1 = d.neg();
        }
        carry0.intoArray(cols, at);
        carry1.intoArray(cols, at + row);
    }

    /**
     * A^T M A of the VL tiles whose point x is at m[at + x * stride]: their outputs y00, y01, y10, y11
     * to out[o00, o00 + VL), out[o01, ...), out[o10, ...), out[o11, ...) (a lane buffer, or four
     * quarter planes of window-major output).
     */
    static void transformOutput(float[] m, int at, int stride, float[] out, int o00, int o01, int o10, int o11) {
        FloatVector m0 = FloatVector.fromArray(S, m, at), m1 = FloatVector.fromArray(S, m, at + stride);
        FloatVector m2 = FloatVector.fromArray(S, m, at + 2 * stride), m3 = FloatVector.fromArray(S, m, at + 3 * stride);
        FloatVector m4 = FloatVector.fromArray(S, m, at + 4 * stride), m5 = FloatVector.fromArray(S, m, at + 5 * stride);
        FloatVector m6 = FloatVector.fromArray(S, m, at + 6 * stride), m7 = FloatVector.fromArray(S, m, at + 7 * stride);
        FloatVector m8 = FloatVector.fromArray(S, m, at + 8 * stride), m9 = FloatVector.fromArray(S, m, at + 9 * stride);
        FloatVector m10 = FloatVector.fromArray(S, m, at + 10 * stride), m11 = FloatVector.fromArray(S, m, at + 11 * stride);
        FloatVector m12 = FloatVector.fromArray(S, m, at + 12 * stride), m13 = FloatVector.fromArray(S, m, at + 13 * stride);
        FloatVector m14 = FloatVector.fromArray(S, m, at + 14 * stride), m15 = FloatVector.fromArray(S, m, at + 15 * stride);
        // A^T M down the columns (m0 + m1 + m2, m1 - m2 - m3), then along each row
        FloatVector s0 = m0.add(m4).add(m8), s1 = m1.add(m5).add(m9), s2 = m2.add(m6).add(m10), s3 = m3.add(m7).add(m11);
        FloatVector q0 = m4.sub(m8).sub(m12), q1 = m5.sub(m9).sub(m13), q2 = m6.sub(m10).sub(m14), q3 = m7.sub(m11).sub(m15);
        s0.add(s1).add(s2).intoArray(out, o00);
        s1.sub(s2).sub(s3).intoArray(out, o01);
        q0.add(q1).add(q2).intoArray(out, o10);
        q1.sub(q2).sub(q3).intoArray(out, o11);
    }

    /**
     * A vector's even (odd) lanes gathered into its low half ({@code *_LOW}) or its high half
     * ({@code *_HIGH}); with {@link #HIGH_HALF} two vectors' evens (odds) become one. One-vector
     * shuffles and a blend: JDK 17 runs a two-vector rearrange out of line (ResNet-20 trained at a
     * third of its speed with them).
     */
    private static final VectorShuffle<Float> EVENS_LOW = VectorShuffle.fromOp(S, i -> i < VL / 2 ? 2 * i : 0);
    private static final VectorShuffle<Float> EVENS_HIGH = VectorShuffle.fromOp(S, i -> i >= VL / 2 ? 2 * i - VL : 0);
    private static final VectorShuffle<Float> ODDS_LOW = VectorShuffle.fromOp(S, i -> i < VL / 2 ? 2 * i + 1 : 0);
    private static final VectorShuffle<Float> ODDS_HIGH = VectorShuffle.fromOp(S, i -> i >= VL / 2 ? 2 * i + 1 - VL : 0);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, ((1L << VL) - 1) & ~((1L << (VL / 2)) - 1));

    /**
     * {@link #transformOutput} straight into row-major planes, for VL tiles of which the first VL/2
     * lie side by side in one tile row (outputs at {@code low}) and the last VL/2 likewise (at
     * {@code high}, further along the row or at the start of a later one): each half's y00 and y01
     * interleaved are VL adjacent floats of output row 2ty, y10 and y11 of row 2ty + 1 ({@code ow}
     * on). Replaces a lane-by-lane scatter (JFR: ~8 % of ResNet-20's training step with the gradient's
     * gather below).
     */
    static void transformOutputRows(float[] m, int at, int stride, float[] out, int low, int high, int ow) {
        FloatVector m0 = FloatVector.fromArray(S, m, at), m1 = FloatVector.fromArray(S, m, at + stride);
        FloatVector m2 = FloatVector.fromArray(S, m, at + 2 * stride), m3 = FloatVector.fromArray(S, m, at + 3 * stride);
        FloatVector m4 = FloatVector.fromArray(S, m, at + 4 * stride), m5 = FloatVector.fromArray(S, m, at + 5 * stride);
        FloatVector m6 = FloatVector.fromArray(S, m, at + 6 * stride), m7 = FloatVector.fromArray(S, m, at + 7 * stride);
        FloatVector m8 = FloatVector.fromArray(S, m, at + 8 * stride), m9 = FloatVector.fromArray(S, m, at + 9 * stride);
        FloatVector m10 = FloatVector.fromArray(S, m, at + 10 * stride), m11 = FloatVector.fromArray(S, m, at + 11 * stride);
        FloatVector m12 = FloatVector.fromArray(S, m, at + 12 * stride), m13 = FloatVector.fromArray(S, m, at + 13 * stride);
        FloatVector m14 = FloatVector.fromArray(S, m, at + 14 * stride), m15 = FloatVector.fromArray(S, m, at + 15 * stride);
        FloatVector s0 = m0.add(m4).add(m8), s1 = m1.add(m5).add(m9), s2 = m2.add(m6).add(m10), s3 = m3.add(m7).add(m11);
        FloatVector q0 = m4.sub(m8).sub(m12), q1 = m5.sub(m9).sub(m13), q2 = m6.sub(m10).sub(m14), q3 = m7.sub(m11).sub(m15);
        FloatVector y00 = s0.add(s1).add(s2), y01 = s1.sub(s2).sub(s3), y10 = q0.add(q1).add(q2), y11 = q1.sub(q2).sub(q3);
        // interleaved: lanes 2i and 2i + 1 take a's and b's lane i (the first half) or VL/2 + i (the second)
        y00.rearrange(ZIP_LOW).blend(y01.rearrange(ZIP_LOW), ODD_LANES).intoArray(out, low);
        y00.rearrange(ZIP_HIGH).blend(y01.rearrange(ZIP_HIGH), ODD_LANES).intoArray(out, high);
        y10.rearrange(ZIP_LOW).blend(y11.rearrange(ZIP_LOW), ODD_LANES).intoArray(out, low + ow);
        y10.rearrange(ZIP_HIGH).blend(y11.rearrange(ZIP_HIGH), ODD_LANES).intoArray(out, high + ow);
    }

    /**
     * The adjoint's input for {@link #transformOutputRows}' tiles: their output gradients read from
     * the rows and split into g00, g01, g10, g11 in {@code lanes} (4 VL floats), then
     * {@link #transformOutputGradient} from there (vectors passed between methods that the JIT
     * does not inline are boxed: the backward ran at a quarter of its speed so).
     */
    static void transformOutputGradientRows(float[] dy, int low, int high, int ow, float[] lanes, float[] m, int at, int stride) {
        FloatVector r0 = FloatVector.fromArray(S, dy, low), r1 = FloatVector.fromArray(S, dy, high);
        FloatVector r2 = FloatVector.fromArray(S, dy, low + ow), r3 = FloatVector.fromArray(S, dy, high + ow);
        r0.rearrange(EVENS_LOW).blend(r1.rearrange(EVENS_HIGH), HIGH_HALF).intoArray(lanes, 0);
        r0.rearrange(ODDS_LOW).blend(r1.rearrange(ODDS_HIGH), HIGH_HALF).intoArray(lanes, VL);
        r2.rearrange(EVENS_LOW).blend(r3.rearrange(EVENS_HIGH), HIGH_HALF).intoArray(lanes, 2 * VL);
        r2.rearrange(ODDS_LOW).blend(r3.rearrange(ODDS_HIGH), HIGH_HALF).intoArray(lanes, 3 * VL);
        transformOutputGradient(lanes, 0, VL, 2 * VL, 3 * VL, m, at, stride);
    }

    /**
     * A dY A^T of VL tiles whose output gradients (g00, g01, g10, g11) are dy[o00, o00 + VL) ..
     * dy[o11, o11 + VL) (a lane buffer, or four quarter planes of window-major output): point x of
     * each to m[at + x * stride].
     */
    static void transformOutputGradient(float[] dy, int o00, int o01, int o10, int o11, float[] m, int at, int stride) {
        FloatVector g00 = FloatVector.fromArray(S, dy, o00), g01 = FloatVector.fromArray(S, dy, o01);
        FloatVector g10 = FloatVector.fromArray(S, dy, o10), g11 = FloatVector.fromArray(S, dy, o11);
        // A g down the columns: (g0, g0 + g1, g0 - g1, -g1), then the same along each row
        FloatVector b0 = g00.add(g10), b1 = g01.add(g11), c0 = g00.sub(g10), c1 = g01.sub(g11), d0 = FloatVector.zero(S).sub(g10), d1 = FloatVector.zero(S).sub(g11);
        g00.intoArray(m, at);
        g00.add(g01).intoArray(m, at + stride);
        g00.sub(g01).intoArray(m, at + 2 * stride);
        FloatVector.zero(S).sub(g01).intoArray(m, at + 3 * stride);
        b0.intoArray(m, at + 4 * stride);
        b0.add(b1).intoArray(m, at + 5 * stride);
        b0.sub(b1).intoArray(m, at + 6 * stride);
        FloatVector.zero(S).sub(b1).intoArray(m, at + 7 * stride);
        c0.intoArray(m, at + 8 * stride);
        c0.add(c1).intoArray(m, at + 9 * stride);
        c0.sub(c1).intoArray(m, at + 10 * stride);
        FloatVector.zero(S).sub(c1).intoArray(m, at + 11 * stride);
        d0.intoArray(m, at + 12 * stride);
        d0.add(d1).intoArray(m, at + 13 * stride);
        d0.sub(d1).intoArray(m, at + 14 * stride);
        g11.intoArray(m, at + 15 * stride); // -d1
    }
}
