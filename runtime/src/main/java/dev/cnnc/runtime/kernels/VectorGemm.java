package dev.cnnc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API product: 6 rows x 2 vectors of C held in registers (12 accumulators, as BLIS
 * does on AVX2), k-blocked so the panel of B being reused stays in cache. Columns that do not
 * fill a whole tile fall back to scalar code.
 */
public final class VectorGemm implements Gemm {
    public static final VectorGemm INSTANCE = new VectorGemm();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final int NR = 2 * VL;
    /** Rows of a packed tile; a compile-time constant, so reading it loads nothing of the Vector API (a memory estimate does). */
    public static final int MR = 6;
    private static final int KC = 256;

    private VectorGemm() {
    }

    /** Columns of B packed at once: a KC x NB block (512 KiB) stays in the 1 MiB L2 while its panels are used. */
    private static final int NB = 512;

    /**
     * A shallow B (k-blocks of at most this many rows, spanning at most {@link #B_IN_PLACE_FLOATS}) is
     * read where it lies instead of packed: its panel's rows stay in L1 through every row tile anyway,
     * and packing cost more than it saved. Measured on Winograd's products of the Fashion net's conv2
     * (one thread, best of 200): k = 32, 1.17x; k = 64, 1.3x.
     */
    private static final int B_IN_PLACE_DEPTH = 64;
    private static final int B_IN_PLACE_FLOATS = 1 << 16;

    /**
     * An NT product this narrow (at most two panels) reads A's rows where they lie: packing A costs
     * as much as the product when each packed row is used for only one or two panels. Measured on the
     * Winograd weight gradient of the Fashion net's conv2 (64 x 32, k = 147; one thread, best of 200):
     * 1.3x.
     */
    private static final int A_IN_PLACE_COLS = 2 * NR;

    /** Packing buffers per thread (A block, B block, scratch tile), grown once and reused: no allocation per call. */
    private static final ThreadLocal<float[][]> PACKS =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[KC * NB], new float[MR * NR]});

    @Override
    public void multiply(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                         boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        packed(k, a, aOff, lda, null, 0, b, bOff, ldb, false, c, cOff, ldc, accumulate, rowFrom, rowTo, colFrom, colTo);
    }

    @Override
    public int packedSize(int m, int k) {
        return paddedRows(m) * k;
    }

    /** m rounded up to whole tiles of MR rows. */
    private static int paddedRows(int m) {
        return (m + MR - 1) / MR * MR;
    }

    /**
     * k runs in equal blocks of at most KC: k = 288 as 2 x 144, not 256 + 32 (a short block pays the
     * loads and stores of C for little arithmetic). Block q of {@code blocks} is [kStart(q), kStart(q + 1)).
     * {@link #pack} and {@link #packed} must agree on it, so both use these two.
     */
    private static int kBlocks(int k) {
        return (k + KC - 1) / KC;
    }

    private static int kStart(int k, int blocks, int q) {
        return (int) ((long) k * q / blocks);
    }

    /**
     * The layout {@link #packed} reads: k-block by k-block (the same equal blocks), each as tiles of MR
     * rows, tile t of the block at [p0 * mPad + t * MR * kc], element (p, r) at + p * MR + r; rows past m are 0.
     */
    @Override
    public void pack(float[] a, int aOff, int lda, boolean transposed, int m, int k, float[] packed) {
        int mPad = paddedRows(m);
        int blocks = kBlocks(k);
        for (int q = 0; q < blocks; q++) {
            int p0 = kStart(k, blocks, q);
            int kc = kStart(k, blocks, q + 1) - p0;
            if (!transposed) {
                packA(a, aOff, lda, 0, m, p0, kc, packed, p0 * mPad);
                continue;
            }
            // A = T^T: row i of A is column i of T, so a tile's MR values at each p are neighbours in T's row p
            for (int t = 0; t < mPad / MR; t++) {
                int base = p0 * mPad + t * MR * kc;
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + t * MR;
                    for (int r = 0; r < MR; r++) {
                        packed[base + p * MR + r] = t * MR + r < m ? a[src + r] : 0f;
                    }
                }
            }
        }
    }

    @Override
    public int packedRows() {
        return MR;
    }

    @Override
    public void multiplyPacked(int k, int m, float[] packed, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                               boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        if (rowFrom % MR != 0) {
            throw new IllegalArgumentException("a packed product's rows start on a tile, not at row " + rowFrom);
        }
        packed(k, null, 0, 0, packed, paddedRows(m), b, bOff, ldb, false, c, cOff, ldc, accumulate, rowFrom, rowTo, colFrom,
                colTo);
    }

    /**
     * The register-tiled product; B is read as [k][n] or, when {@code bRows}, as [n][k] (its rows are
     * C's columns): packing reads either layout, so the NT product gets the same tiles. A is packed
     * here from a, or was packed before ({@code pre}, {@code mPad} rows per k, see {@link #pack}).
     */
    private static void packed(int k, float[] a, int aOff, int lda, float[] pre, int mPad, float[] b, int bOff, int ldb, boolean bRows,
                               float[] c, int cOff, int ldc, boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        if (k == 0 || rowFrom >= rowTo || colFrom >= colTo) {
            if (!accumulate) {
                for (int i = rowFrom; i < rowTo; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc + colFrom, cOff + i * ldc + colTo, 0f);
                }
            }
            return;
        }
        float[][] packs = PACKS.get();
        int aNeed = pre != null ? 0 : ((rowTo - rowFrom + MR - 1) / MR) * MR * KC;
        if (packs[0].length < aNeed) {
            packs[0] = new float[aNeed];
        }
        float[] ap = pre != null ? pre : packs[0];
        float[] bp = packs[1];
        int vectorCols = colFrom + (colTo - colFrom) / NR * NR;
        int blocks = kBlocks(k);
        for (int q = 0; q < blocks; q++) {
            int p0 = kStart(k, blocks, q);
            int kc = kStart(k, blocks, q + 1) - p0;
            boolean load = accumulate || p0 > 0;
            int a0 = pre != null ? p0 * mPad + rowFrom / MR * MR * kc : 0;
            // A's rows in place for a narrow NT product with no tail: only a last, partial row tile is packed
            boolean aInPlace = pre == null && bRows && colTo - colFrom <= A_IN_PLACE_COLS && vectorCols == colTo;
            int packedFrom = aInPlace ? rowFrom + (rowTo - rowFrom) / MR * MR : rowFrom;
            if (pre == null) {
                packA(a, aOff, lda, packedFrom, rowTo, p0, kc, ap, 0);
            }
            boolean bInPlace = !bRows && kc <= B_IN_PLACE_DEPTH && (long) kc * ldb <= B_IN_PLACE_FLOATS;
            for (int j0 = colFrom; j0 < vectorCols; j0 += NB) {
                int j1 = Math.min(vectorCols, j0 + NB);
                if (bRows) {
                    packBRows(b, bOff, ldb, p0, kc, j0, j1, bp);
                } else if (!bInPlace) {
                    packB(b, bOff + p0 * ldb, ldb, kc, j0, j1, bp);
                }
                for (int j = j0; j < j1; j += NR) {
                    float[] bSrc = bInPlace ? b : bp;
                    int bAt = bInPlace ? bOff + p0 * ldb + j : (j - j0) * kc;
                    int bs = bInPlace ? ldb : NR;
                    if (aInPlace) {
                        for (int i = rowFrom; i < packedFrom; i += MR) {
                            tile6Strided(kc, a, aOff + i * lda + p0, 1, lda, bSrc, bAt, c, cOff + i * ldc + j, ldc, load);
                        }
                    }
                    block(kc, ap, a0, bSrc, bAt, bs, c, cOff, ldc, load, packedFrom, rowTo, j, packs[2]);
                }
            }
            if (vectorCols < colTo) {
                tail(kc, ap, a0, b, bOff, ldb, bRows, p0, c, cOff, ldc, load, rowFrom, rowTo, vectorCols, colTo, bp, packs[2]);
            }
        }
    }

    /** The last columns (fewer than NR): a zero-padded panel through the same tiles, written back in part. */
    private static void tail(int kc, float[] ap, int a0, float[] b, int bOff, int ldb, boolean bRows, int p0, float[] c, int cOff, int ldc,
                             boolean load, int rowFrom, int rowTo, int colFrom, int colTo, float[] bp, float[] scratch) {
        int width = colTo - colFrom;
        java.util.Arrays.fill(bp, 0, kc * NR, 0f);
        if (bRows) {
            for (int x = 0; x < width; x++) {
                int src = bOff + (colFrom + x) * ldb + p0;
                for (int p = 0; p < kc; p++) {
                    bp[p * NR + x] = b[src + p];
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                System.arraycopy(b, bOff + (p0 + p) * ldb + colFrom, bp, p * NR, width);
            }
        }
        int t = 0;
        for (int i = rowFrom; i < rowTo; i += MR, t++) {
            int rows = Math.min(MR, rowTo - i);
            for (int r = 0; r < MR; r++) {
                java.util.Arrays.fill(scratch, r * NR, (r + 1) * NR, 0f);
                if (load && r < rows) {
                    System.arraycopy(c, cOff + (i + r) * ldc + colFrom, scratch, r * NR, width);
                }
            }
            tile6(kc, ap, a0 + t * MR * kc, bp, 0, NR, scratch, 0, NR, true);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(scratch, r * NR, c, cOff + (i + r) * ldc + colFrom, width);
            }
        }
    }

    /**
     * Panels of NR columns [j0, j1) of B = bT^T, k-rows [p0, p0+kc). With 8 lanes, 8 x 8 blocks are
     * transposed in registers ({@link #transposeBlock}); the k-rows past the last whole block, and
     * other lane counts, four rows of bT at a time, so each k step writes four neighbouring floats of
     * the panel while reading four sequential streams.
     */
    private static void packBRows(float[] bT, int bOff, int ldb, int p0, int kc, int j0, int j1, float[] bp) {
        int blockEnd = VL == 8 ? kc / 8 * 8 : 0;
        for (int j = j0; j < j1; j += NR) {
            int base = (j - j0) * kc;
            for (int x = 0; x < NR; x += VL) {
                int s = bOff + (j + x) * ldb + p0;
                for (int p = 0; p < blockEnd; p += 8) {
                    transposeBlock(bT, s + p, ldb, bp, base + p * NR + x);
                }
            }
            for (int x = 0; x < NR; x += 4) {
                int s0 = bOff + (j + x) * ldb + p0;
                int s1 = s0 + ldb;
                int s2 = s1 + ldb;
                int s3 = s2 + ldb;
                int d = base + blockEnd * NR + x;
                for (int p = blockEnd; p < kc; p++, d += NR) {
                    bp[d] = bT[s0 + p];
                    bp[d + 1] = bT[s1 + p];
                    bp[d + 2] = bT[s2 + p];
                    bp[d + 3] = bT[s3 + p];
                }
            }
        }
    }

    /*
     * An 8 x 8 transpose as three butterfly steps: at step b (4, 2, 1) rows i and i + b swap their
     * off-diagonal b x b blocks, each row taking the other's lanes shifted by b (a one-vector permute)
     * where lane bit b says so (a blend): 24 permutes and 24 blends for 64 floats instead of 64 scalar
     * loads and stores. Measured on the NT product of the Fashion net's conv2 weight gradient (a point:
     * 64 x 32, k = 147, rows of 152; both versions alternated in one JVM, median of 31 rounds): 1.07x
     * the whole product, 1.41x with 6 rows, where packing is most of the time.
     */
    private static final VectorShuffle<Float> UP4 = VectorShuffle.fromOp(S, i -> Math.floorMod(i - 4, VL));
    private static final VectorShuffle<Float> DOWN4 = VectorShuffle.fromOp(S, i -> (i + 4) % VL);
    private static final VectorShuffle<Float> UP2 = VectorShuffle.fromOp(S, i -> Math.floorMod(i - 2, VL));
    private static final VectorShuffle<Float> DOWN2 = VectorShuffle.fromOp(S, i -> (i + 2) % VL);
    private static final VectorShuffle<Float> UP1 = VectorShuffle.fromOp(S, i -> Math.floorMod(i - 1, VL));
    private static final VectorShuffle<Float> DOWN1 = VectorShuffle.fromOp(S, i -> (i + 1) % VL);
    private static final VectorMask<Float> BIT4 = VectorMask.fromLong(S, 0xF0F0F0F0F0F0F0F0L & ((1L << VL) - 1));
    private static final VectorMask<Float> BIT2 = VectorMask.fromLong(S, 0xCCCCCCCCCCCCCCCCL & ((1L << VL) - 1));
    private static final VectorMask<Float> BIT1 = VectorMask.fromLong(S, 0xAAAAAAAAAAAAAAAAL & ((1L << VL) - 1));
    private static final VectorMask<Float> NOT4 = BIT4.not();
    private static final VectorMask<Float> NOT2 = BIT2.not();
    private static final VectorMask<Float> NOT1 = BIT1.not();

    /** dst[d + i * NR + l] = src[s + l * lds + i] for i, l in [0, 8): eight rows of src become eight runs of a panel. */
    private static void transposeBlock(float[] src, int s, int lds, float[] dst, int d) {
        FloatVector r0 = FloatVector.fromArray(S, src, s), r1 = FloatVector.fromArray(S, src, s + lds);
        FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * lds), r3 = FloatVector.fromArray(S, src, s + 3 * lds);
        FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * lds), r5 = FloatVector.fromArray(S, src, s + 5 * lds);
        FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * lds), r7 = FloatVector.fromArray(S, src, s + 7 * lds);
        FloatVector t0 = r0.blend(r4.rearrange(UP4), BIT4), t4 = r4.blend(r0.rearrange(DOWN4), NOT4);
        FloatVector t1 = r1.blend(r5.rearrange(UP4), BIT4), t5 = r5.blend(r1.rearrange(DOWN4), NOT4);
        FloatVector t2 = r2.blend(r6.rearrange(UP4), BIT4), t6 = r6.blend(r2.rearrange(DOWN4), NOT4);
        FloatVector t3 = r3.blend(r7.rearrange(UP4), BIT4), t7 = r7.blend(r3.rearrange(DOWN4), NOT4);
        FloatVector u0 = t0.blend(t2.rearrange(UP2), BIT2), u2 = t2.blend(t0.rearrange(DOWN2), NOT2);
        FloatVector u1 = t1.blend(t3.rearrange(UP2), BIT2), u3 = t3.blend(t1.rearrange(DOWN2), NOT2);
        FloatVector u4 = t4.blend(t6.rearrange(UP2), BIT2), u6 = t6.blend(t4.rearrange(DOWN2), NOT2);
        FloatVector u5 = t5.blend(t7.rearrange(UP2), BIT2), u7 = t7.blend(t5.rearrange(DOWN2), NOT2);
        u0.blend(u1.rearrange(UP1), BIT1).intoArray(dst, d);
        u1.blend(u0.rearrange(DOWN1), NOT1).intoArray(dst, d + NR);
        u2.blend(u3.rearrange(UP1), BIT1).intoArray(dst, d + 2 * NR);
        u3.blend(u2.rearrange(DOWN1), NOT1).intoArray(dst, d + 3 * NR);
        u4.blend(u5.rearrange(UP1), BIT1).intoArray(dst, d + 4 * NR);
        u5.blend(u4.rearrange(DOWN1), NOT1).intoArray(dst, d + 5 * NR);
        u6.blend(u7.rearrange(UP1), BIT1).intoArray(dst, d + 6 * NR);
        u7.blend(u6.rearrange(DOWN1), NOT1).intoArray(dst, d + 7 * NR);
    }

    /** Length of the k-blocks of the NT product: 4 rows of A and 3 of B (14 KiB) stay in L1. */
    private static final int KT = 2048;

    @Override
    public void multiplyTransposed(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                                   boolean accumulate, int rowFrom, int rowTo, int colFrom, int colTo) {
        if (rowTo - rowFrom >= MR && colTo - colFrom >= NR) {
            // Enough rows and columns for whole tiles: pack B from its rows and use the register tiles.
            packed(k, a, aOff, lda, null, 0, b, bOff, ldb, true, c, cOff, ldc, accumulate, rowFrom, rowTo, colFrom, colTo);
            return;
        }
        dots(k, a, aOff, lda, b, bOff + colFrom * ldb, ldb, c, cOff + colFrom, ldc, accumulate, rowFrom, rowTo, colTo - colFrom);
    }

    /** Few rows or columns (a dense layer on a small batch): dot products along k, four or twelve at a time. */
    private static void dots(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                             boolean accumulate, int rowFrom, int rowTo, int n) {
        if (!accumulate) {
            for (int i = rowFrom; i < rowTo; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        int kv = k / VL * VL;
        for (int p0 = 0; p0 < kv; p0 += KT) {
            int p1 = Math.min(kv, p0 + KT);
            int i = rowFrom;
            for (; i + 4 <= rowTo; i += 4) {
                int j = 0;
                for (; j + 3 <= n; j += 3) {
                    dots4x3(p0, p1, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc);
                }
                for (; j < n; j++) {
                    for (int r = 0; r < 4; r++) {
                        c[cOff + (i + r) * ldc + j] += dot(p0, p1, a, aOff + (i + r) * lda, b, bOff + j * ldb);
                    }
                }
            }
            for (; i < rowTo; i++) {
                int j = 0;
                for (; j + 4 <= n; j += 4) {
                    dots1x4(p0, p1, a, aOff + i * lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j);
                }
                for (; j < n; j++) {
                    c[cOff + i * ldc + j] += dot(p0, p1, a, aOff + i * lda, b, bOff + j * ldb);
                }
            }
        }
        if (kv < k) {
            for (int i = rowFrom; i < rowTo; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int p = kv; p < k; p++) {
                        s += a[aOff + i * lda + p] * b[bOff + j * ldb + p];
                    }
                    c[cOff + i * ldc + j] += s;
                }
            }
        }
    }

    /** Twelve dot products at once: rows a0..a0+3 of A against rows b0..b0+2 of B over [p0, p1). */
    private static void dots4x3(int p0, int p1, float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int c0, int ldc) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s30 = s00, s31 = s00, s32 = s00;
        for (int p = p0; p < p1; p += VL) {
            FloatVector x0 = FloatVector.fromArray(S, b, b0 + p);
            FloatVector x1 = FloatVector.fromArray(S, b, b0 + ldb + p);
            FloatVector x2 = FloatVector.fromArray(S, b, b0 + 2 * ldb + p);
            FloatVector y = FloatVector.fromArray(S, a, a0 + p);
            s00 = y.fma(x0, s00);
            s01 = y.fma(x1, s01);
            s02 = y.fma(x2, s02);
            y = FloatVector.fromArray(S, a, a0 + lda + p);
            s10 = y.fma(x0, s10);
            s11 = y.fma(x1, s11);
            s12 = y.fma(x2, s12);
            y = FloatVector.fromArray(S, a, a0 + 2 * lda + p);
            s20 = y.fma(x0, s20);
            s21 = y.fma(x1, s21);
            s22 = y.fma(x2, s22);
            y = FloatVector.fromArray(S, a, a0 + 3 * lda + p);
            s30 = y.fma(x0, s30);
            s31 = y.fma(x1, s31);
            s32 = y.fma(x2, s32);
        }
        c[c0] += s00.reduceLanes(VectorOperators.ADD);
        c[c0 + 1] += s01.reduceLanes(VectorOperators.ADD);
        c[c0 + 2] += s02.reduceLanes(VectorOperators.ADD);
        c[c0 + ldc] += s10.reduceLanes(VectorOperators.ADD);
        c[c0 + ldc + 1] += s11.reduceLanes(VectorOperators.ADD);
        c[c0 + ldc + 2] += s12.reduceLanes(VectorOperators.ADD);
        c[c0 + 2 * ldc] += s20.reduceLanes(VectorOperators.ADD);
        c[c0 + 2 * ldc + 1] += s21.reduceLanes(VectorOperators.ADD);
        c[c0 + 2 * ldc + 2] += s22.reduceLanes(VectorOperators.ADD);
        c[c0 + 3 * ldc] += s30.reduceLanes(VectorOperators.ADD);
        c[c0 + 3 * ldc + 1] += s31.reduceLanes(VectorOperators.ADD);
        c[c0 + 3 * ldc + 2] += s32.reduceLanes(VectorOperators.ADD);
    }

    /** One row of A against four rows of B: four independent chains, so the FMA latency is hidden. */
    private static void dots1x4(int p0, int p1, float[] a, int a0, float[] b, int b0, int ldb, float[] c, int c0) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int p = p0; p < p1; p += VL) {
            FloatVector y = FloatVector.fromArray(S, a, a0 + p);
            s0 = y.fma(FloatVector.fromArray(S, b, b0 + p), s0);
            s1 = y.fma(FloatVector.fromArray(S, b, b0 + ldb + p), s1);
            s2 = y.fma(FloatVector.fromArray(S, b, b0 + 2 * ldb + p), s2);
            s3 = y.fma(FloatVector.fromArray(S, b, b0 + 3 * ldb + p), s3);
        }
        c[c0] += s0.reduceLanes(VectorOperators.ADD);
        c[c0 + 1] += s1.reduceLanes(VectorOperators.ADD);
        c[c0 + 2] += s2.reduceLanes(VectorOperators.ADD);
        c[c0 + 3] += s3.reduceLanes(VectorOperators.ADD);
    }

    private static float dot(int p0, int p1, float[] a, int a0, float[] b, int b0) {
        FloatVector s = FloatVector.zero(S);
        for (int p = p0; p < p1; p += VL) {
            s = FloatVector.fromArray(S, a, a0 + p).fma(FloatVector.fromArray(S, b, b0 + p), s);
        }
        return s.reduceLanes(VectorOperators.ADD);
    }

    /** All row tiles against one panel of NR columns starting at column j (B(p, x) at bp[b0 + p * bs + x]). */
    private static void block(int kc, float[] ap, int a0, float[] bp, int b0, int bs, float[] c, int cOff, int ldc, boolean load,
                              int rowFrom, int rowTo, int j, float[] scratch) {
        int i = rowFrom;
        int t = 0;
        for (; i + MR <= rowTo; i += MR, t++) {
            tile6(kc, ap, a0 + t * MR * kc, bp, b0, bs, c, cOff + i * ldc + j, ldc, load);
        }
        if (i < rowTo) {
            // The last, partial tile: A was zero-padded to MR rows; compute into scratch, keep the real rows.
            int left = rowTo - i;
            for (int r = 0; r < MR; r++) {
                if (load && r < left) {
                    System.arraycopy(c, cOff + (i + r) * ldc + j, scratch, r * NR, NR);
                } else {
                    java.util.Arrays.fill(scratch, r * NR, (r + 1) * NR, 0f);
                }
            }
            tile6(kc, ap, a0 + t * MR * kc, bp, b0, bs, scratch, 0, NR, true);
            for (int r = 0; r < left; r++) {
                System.arraycopy(scratch, r * NR, c, cOff + (i + r) * ldc + j, NR);
            }
        }
    }

    /** Rows [rowFrom, rowTo) of A, columns [p0, p0+kc), as tiles of MR rows: tile t holds ap[at + t*MR*kc + p*MR + r]. */
    private static void packA(float[] a, int aOff, int lda, int rowFrom, int rowTo, int p0, int kc, float[] ap, int at) {
        int tiles = (rowTo - rowFrom + MR - 1) / MR;
        for (int t = 0; t < tiles; t++) {
            int base = at + t * MR * kc;
            if (rowFrom + (t + 1) * MR <= rowTo) {
                // A whole tile: six rows read side by side, so each k step writes six neighbouring floats
                int s0 = aOff + (rowFrom + t * MR) * lda + p0;
                int s1 = s0 + lda;
                int s2 = s1 + lda;
                int s3 = s2 + lda;
                int s4 = s3 + lda;
                int s5 = s4 + lda;
                for (int p = 0, d = base; p < kc; p++, d += MR) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                    ap[d + 4] = a[s4 + p];
                    ap[d + 5] = a[s5 + p];
                }
                continue;
            }
            for (int r = 0; r < MR; r++) {
                int row = rowFrom + t * MR + r;
                if (row >= rowTo) {
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = 0f; // padding rows of the last tile
                    }
                    continue;
                }
                int src = aOff + row * lda + p0;
                for (int p = 0; p < kc; p++) {
                    ap[base + p * MR + r] = a[src + p];
                }
            }
        }
    }


    /**
     * Columns [j0, j1) of kc rows of B as consecutive panels of NR columns: panel q holds
     * bp[q*NR*kc + p*NR + x]. Each row segment is read contiguously.
     */
    private static void packB(float[] b, int b0, int ldb, int kc, int j0, int j1, float[] bp) {
        for (int p = 0; p < kc; p++) {
            int src = b0 + p * ldb;
            for (int j = j0; j < j1; j += NR) {
                System.arraycopy(b, src + j, bp, (j - j0) * kc + p * NR, NR);
            }
        }
    }

    /** C[6][NR] (+)= A x B for A packed (A(r, p) at ap[a0 + p * MR + r]) and B(p, x) at bp[b0 + p * bs + x]. */
    private static void tile6(int kc, float[] ap, int a0, float[] bp, int b0, int bs, float[] c, int c0, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load) {
            c00 = FloatVector.fromArray(S, c, c0);
            c01 = FloatVector.fromArray(S, c, c0 + VL);
            c10 = FloatVector.fromArray(S, c, c0 + ldc);
            c11 = FloatVector.fromArray(S, c, c0 + ldc + VL);
            c20 = FloatVector.fromArray(S, c, c0 + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, c0 + 2 * ldc + VL);
            c30 = FloatVector.fromArray(S, c, c0 + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, c0 + 3 * ldc + VL);
            c40 = FloatVector.fromArray(S, c, c0 + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, c0 + 4 * ldc + VL);
            c50 = FloatVector.fromArray(S, c, c0 + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, c0 + 5 * ldc + VL);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b_0 = FloatVector.fromArray(S, bp, b0 + p * bs);
            FloatVector b_1 = FloatVector.fromArray(S, bp, b0 + p * bs + VL);
            int ai = a0 + p * MR;
            FloatVector a_ = FloatVector.broadcast(S, ap[ai]);
            c00 = a_.fma(b_0, c00);
            c01 = a_.fma(b_1, c01);
            a_ = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a_.fma(b_0, c10);
            c11 = a_.fma(b_1, c11);
            a_ = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a_.fma(b_0, c20);
            c21 = a_.fma(b_1, c21);
            a_ = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a_.fma(b_0, c30);
            c31 = a_.fma(b_1, c31);
            a_ = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a_.fma(b_0, c40);
            c41 = a_.fma(b_1, c41);
            a_ = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a_.fma(b_0, c50);
            c51 = a_.fma(b_1, c51);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + VL);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + VL);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + VL);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + VL);
        c40.intoArray(c, c0 + 4 * ldc);
        c41.intoArray(c, c0 + 4 * ldc + VL);
        c50.intoArray(c, c0 + 5 * ldc);
        c51.intoArray(c, c0 + 5 * ldc + VL);
    }

    /**
     * {@link #tile6} with A read where it lies, A(r, p) at a[a0 + p * aks + r * ars] (rows of a
     * row-major A: aks = 1, ars = lda), and B packed (B(p, x) at bp[b0 + p * NR + x]).
     */
    private static void tile6Strided(int kc, float[] a, int a0, int aks, int ars, float[] bp, int b0, float[] c, int c0, int ldc,
                                     boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load) {
            c00 = FloatVector.fromArray(S, c, c0);
            c01 = FloatVector.fromArray(S, c, c0 + VL);
            c10 = FloatVector.fromArray(S, c, c0 + ldc);
            c11 = FloatVector.fromArray(S, c, c0 + ldc + VL);
            c20 = FloatVector.fromArray(S, c, c0 + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, c0 + 2 * ldc + VL);
            c30 = FloatVector.fromArray(S, c, c0 + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, c0 + 3 * ldc + VL);
            c40 = FloatVector.fromArray(S, c, c0 + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, c0 + 4 * ldc + VL);
            c50 = FloatVector.fromArray(S, c, c0 + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, c0 + 5 * ldc + VL);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
        }
        // Rows 1-5 as offsets from row 0's running index, and aks a parameter rather than the 1 every
        // caller passes: with the stride a known 1, C2 made one base per row, measured 1.4x slower.
        int r1 = ars;
        int r2 = 2 * ars;
        int r3 = 3 * ars;
        int r4 = 4 * ars;
        int r5 = 5 * ars;
        for (int p = 0; p < kc; p++) {
            FloatVector b_0 = FloatVector.fromArray(S, bp, b0 + p * NR);
            FloatVector b_1 = FloatVector.fromArray(S, bp, b0 + p * NR + VL);
            int ai = a0 + p * aks;
            FloatVector a_ = FloatVector.broadcast(S, a[ai]);
            c00 = a_.fma(b_0, c00);
            c01 = a_.fma(b_1, c01);
            a_ = FloatVector.broadcast(S, a[ai + r1]);
            c10 = a_.fma(b_0, c10);
            c11 = a_.fma(b_1, c11);
            a_ = FloatVector.broadcast(S, a[ai + r2]);
            c20 = a_.fma(b_0, c20);
            c21 = a_.fma(b_1, c21);
            a_ = FloatVector.broadcast(S, a[ai + r3]);
            c30 = a_.fma(b_0, c30);
            c31 = a_.fma(b_1, c31);
            a_ = FloatVector.broadcast(S, a[ai + r4]);
            c40 = a_.fma(b_0, c40);
            c41 = a_.fma(b_1, c41);
            a_ = FloatVector.broadcast(S, a[ai + r5]);
            c50 = a_.fma(b_0, c50);
            c51 = a_.fma(b_1, c51);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + VL);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + VL);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + VL);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + VL);
        c40.intoArray(c, c0 + 4 * ldc);
        c41.intoArray(c, c0 + 4 * ldc + VL);
        c50.intoArray(c, c0 + 5 * ldc);
        c51.intoArray(c, c0 + 5 * ldc + VL);
    }
}
