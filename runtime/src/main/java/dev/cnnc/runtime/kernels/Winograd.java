package dev.cnnc.runtime.kernels;

/**
 * A 3x3, stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): every 2x2 block of outputs is
 * A^T [(G g G^T) . (B^T d B)] A for the 4x4 input tile d under it, so the C x F x 9 multiply-adds
 * per output position of a direct convolution become 16 products of C x F per four outputs, 2.25x
 * fewer, done as 16 matrix products (one per point of the 4x4 transformed tile) over all the tiles
 * of a group of examples.
 *
 * <p>The backward pass is the same bilinear algorithm read the other way (the transposition
 * principle): with the output gradient transformed as A dY A^T, the weight gradient is
 * G^T [sum over tiles of (A dY A^T) . (B^T d B)] G — 16 products summed over the tiles — and the
 * input gradient is B [sum over filters of (A dY A^T) . (G g G^T)] B^T, added back at each tile's
 * place. So all three products run at 2.25x fewer multiplications, through the same {@link Gemm}.
 *
 * <p>Layouts: activations are channel-major [C][n][H][W] as everywhere in the Java backend;
 * transformed tiles are [16][C or F][tiles], the tiles of a group numbered example by example, row
 * by row. Tiles cover the output in 2x2 blocks; where the output has an odd size the last block's
 * extra outputs are not stored, and their gradients read as zero. The output planes are row-major,
 * or in {@link WindowOrder}'s window-major order when a 2x2 pool follows ({@code windowMajor}: a
 * tile is then exactly one pool window, its four outputs at the same place in the four quarters).
 *
 * <p>One instance per convolution, built for its shapes; per-thread buffers for up to
 * {@code groupExamples} examples (in a {@link Scratch} the network's convolutions share), indexed
 * by the {@code part} that {@link Parallel#forChunks} gives,
 * and the weight gradient summed per {@code slot}, the slots added in order.
 */
public final class Winograd {
    /** Points of a transformed 4x4 tile: 16 matrix products per pass. */
    public static final int POINTS = 16;

    private final Gemm gemm;
    private final int channels;
    private final int filters;
    private final int h;
    private final int w;
    private final int ph;
    private final int pw;
    private final int oh;
    private final int ow;
    private final int tilesX;
    private final int tilesPerExample;
    private final int tilesY;
    /** Channels and filters rounded up to whole row tiles of the packed products: the rows of v and m per point. */
    private final int channelRows;
    private final int filterRows;
    /** Row length of the transformed tiles of the largest group: the stride between threads' buffers. */
    private final int groupLd;
    /** A plane with the padding around it, 2 * tiles + 2 square, so every tile reads 16 values without bounds checks. */
    private final int planeH;
    private final int planeW;

    /**
     * u = G g G^T packed per point for the forward products (F x C): this conv's own while it only
     * infers (allocated by its first pass), kept while the weights do not change. A conv that trains
     * packs at every pass into the shared {@link Scratch}, for the forward products and, transposed
     * (C x F), the input gradient's: its weights change at every step and its two passes pack
     * differently, so packings of its own would be remade at each pass all the same (they were
     * ~150 MB of ResNet-18's training memory with the weights' copy, two transformed copies per conv).
     */
    private float[][] uPack;
    /** The packing the products of the current pass read: {@link #uPack} or the shared one. */
    private float[][] packed;
    /** Set by the first training forward or backward pass, for good: packings are then the shared {@link Scratch}'s. */
    private boolean trains;
    /**
     * Per thread: transformed input tiles (and, in backward, the input gradient's) [16][C][tiles];
     * the shared {@link Scratch}'s, taken by {@link #prepareForward} and {@link #prepareBackward}.
     */
    private float[] v;
    /** Per thread: transformed products (forward) or transformed output gradients (backward) [16][F][tiles]; likewise. */
    private float[] m;
    private final Scratch shared;
    private final int vSize;
    private final int mSize;

    /**
     * The transformed-tile buffers of a network's Winograd convolutions, one pair for all of them:
     * ops run one at a time and no conv keeps anything in them between passes, so the largest
     * conv's size serves all (each conv held its own pair: ~200 MB of ResNet-20's memory at batch
     * 128). Sizes are reserved as the convs are built and the arrays allocated at the first pass.
     * The weight gradient's per-slot parts are shared the same way, allocated by a backward pass for
     * the slots its loop uses (each conv had its own, 8 slots of 16 transformed copies of its
     * weights: 134 MB for one of ResNet-18's 512-filter convs, held even by a network that only
     * infers), and so is the weights' transform, packed right after it is made, and the packing of a
     * conv that trains.
     */
    public static final class Scratch {
        private int vSize;
        private int mSize;
        private int uSize;
        private float[] v = new float[0];
        private float[] m = new float[0];
        private float[] dw = new float[0];
        private float[] u = new float[0];
        private int packedSize;
        private float[][] packed = new float[POINTS][0];

        void reserve(int v, int m, int u, int packed) {
            vSize = Math.max(vSize, v);
            mSize = Math.max(mSize, m);
            uSize = Math.max(uSize, u);
            packedSize = Math.max(packedSize, packed);
        }

        /** Room for the packed weights of one point per point, for the conv training now (one conv packs and multiplies at a time). */
        float[][] packed() {
            if (packed[0].length < packedSize) {
                for (int x = 0; x < POINTS; x++) {
                    packed[x] = new float[packedSize];
                }
            }
            return packed;
        }

        float[] u() {
            if (u.length < uSize) {
                u = new float[uSize];
            }
            return u;
        }

        /** Room for {@code size} floats of weight-gradient parts: what a pass's slots use. */
        float[] dw(int size) {
            if (dw.length < size) {
                dw = new float[size];
            }
            return dw;
        }

        float[] v() {
            if (v.length < vSize) {
                v = new float[vSize];
            }
            return v;
        }

        float[] m() {
            if (m.length < mSize) {
                m = new float[mSize];
            }
            return m;
        }
    }
    /**
     * Per slot of {@link Parallel#forChunks}: the weight gradient in the transformed domain, summed
     * over the slot's tiles [16][F][C]; the shared {@link Scratch}'s, taken by {@link #prepareBackward}.
     */
    private float[] dwPart;
    /** The slots dwPart has room for. */
    private final int dwSlots;
    /** The slots the current backward pass adds into (set by {@link #prepareBackward}). */
    private int slotsInUse;
    /**
     * The weights last seen by a conv that only infers, and whether its packing is current: a pass
     * with unchanged weights skips the transform and the packing, which for one image cost about a
     * fifth of the pass (JFR).
     */
    private float[] weights;
    private boolean weightsNoted;
    private boolean forwardPacked;
    /** Scratch of the weight transforms, which run on the caller's thread only. */
    private final float[] scratch = new float[12];
    private final float[] point = new float[POINTS];
    /** The floats of the two arrays above, which every conv holds whatever its shapes (for a memory estimate). */
    public static final int TRANSFORM_FLOATS = 12 + POINTS;
    /** Per thread: a padded input plane (its border stays zero: only the inside is ever written). */
    private final ThreadLocal<float[]> paddedPlane;
    /** Per thread: a padded plane the input gradient's tiles are added into. */
    private final ThreadLocal<float[]> gradPlane;
    /** Per thread: four vectors' lanes, between the vector transforms and the outputs' scattered places. */
    private final ThreadLocal<float[]> lanes;
    /** Vector API transforms (with the vector products), on planes deinterleaved into rows of 2 x halfRow. */
    private final boolean vector;
    private final int halfRow;
    /** The most lanes a vector may have (AVX-512): buffers leave room for them on any machine. */
    private static final int VECTOR_LANES = 16;

    /** Output planes in window-major order; the offsets of a tile's outputs (0, 1), (1, 0), (1, 1) from its (0, 0). */
    private final boolean windowMajor;
    private final int at01;
    private final int at10;
    private final int at11;

    /** Output planes (and their gradients) row-major, or in {@link WindowOrder}'s window-major order when asked. */
    public Winograd(Gemm gemm, int channels, int filters, int h, int w, int ph, int pw, int groupExamples, int threads,
                    boolean windowMajor) {
        this(gemm, channels, filters, h, w, ph, pw, groupExamples, threads, windowMajor, new Scratch());
    }

    /** As above, the transformed tiles in {@code scratch}, shared with the network's other Winograd convolutions. */
    public Winograd(Gemm gemm, int channels, int filters, int h, int w, int ph, int pw, int groupExamples, int threads,
                    boolean windowMajor, Scratch scratch) {
        this.gemm = gemm;
        this.channels = channels;
        this.filters = filters;
        this.h = h;
        this.w = w;
        this.ph = ph;
        this.pw = pw;
        this.oh = h + 2 * ph - 2;
        this.ow = w + 2 * pw - 2;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("a 3x3 convolution of a " + h + "x" + w + " input with padding " + ph + "x" + pw
                    + " has no output");
        }
        if (windowMajor && (oh % 2 != 0 || ow % 2 != 0)) {
            throw new IllegalArgumentException("window-major order needs an even output plane, not " + oh + "x" + ow);
        }
        this.windowMajor = windowMajor;
        int quarter = oh * ow / 4;
        this.at01 = windowMajor ? quarter : 1;
        this.at10 = windowMajor ? 2 * quarter : ow;
        this.at11 = windowMajor ? 3 * quarter : ow + 1;
        this.tilesY = (oh + 1) / 2;
        this.tilesX = (ow + 1) / 2;
        this.tilesPerExample = tilesY * tilesX;
        this.groupLd = groupLd(h, w, ph, pw, groupExamples);
        this.vector = gemm instanceof VectorGemm;
        this.halfRow = vector ? VectorWinograd.halfRow(tilesX) : 0;
        this.planeH = 2 * tilesY + 2;
        this.planeW = 2 * tilesX + 2;
        // whole tiles of the packed products' rows: the last tile computes zero rows instead of going through a scratch tile
        this.channelRows = wholeTiles(gemm.packedRows(), channels);
        this.filterRows = wholeTiles(gemm.packedRows(), filters);
        this.vSize = tileFloats(gemm.packedRows(), channels, h, w, ph, pw, groupExamples, threads);
        this.mSize = tileFloats(gemm.packedRows(), filters, h, w, ph, pw, groupExamples, threads);
        this.shared = scratch;
        this.dwSlots = Parallel.slots(threads);
        scratch.reserve(vSize, mSize, POINTS * filters * channels,
                Math.max(gemm.packedSize(filters, channels), gemm.packedSize(channels, filters)));
        int planeSize = vector ? planeH * 2 * halfRow : planeH * planeW;
        int gradSize = vector ? VectorWinograd.columnPlanes(planeH, halfRow) : planeH * planeW;
        this.paddedPlane = ThreadLocal.withInitial(() -> new float[planeSize]);
        this.gradPlane = ThreadLocal.withInitial(() -> new float[gradSize]);
        this.lanes = ThreadLocal.withInitial(() -> new float[4 * VECTOR_LANES]);
    }

    /**
     * The row length of a group's transformed tiles: whole panels of 16 columns, so the products have
     * no partial panel (the columns past the tiles are computed and ignored), with room for a vector's
     * lanes past the last tile.
     */
    /** A group's row length in the transformed-tile buffers. */
    private static int groupLd(int h, int w, int ph, int pw, int groupExamples) {
        return ld(groupExamples * ((h + 2 * ph - 1) / 2) * ((w + 2 * pw - 1) / 2));
    }

    /** Rows in whole tiles of {@code unit} rows (the packed products' {@link Gemm#packedRows}). */
    private static int wholeTiles(int unit, int rows) {
        return (rows + unit - 1) / unit * unit;
    }

    /**
     * The floats of the transformed tiles of {@code rows} channels (v: the input's; m with the
     * filters: the products') for every thread: what a conv of these shapes reserves in the shared
     * {@link Scratch} (and what a memory estimate counts), for products packed in tiles of
     * {@code packedRows} rows.
     */
    public static int tileFloats(int packedRows, int rows, int h, int w, int ph, int pw, int groupExamples, int threads) {
        return threads * POINTS * pointStride(wholeTiles(packedRows, rows) * groupLd(h, w, ph, pw, groupExamples));
    }

    private static int ld(int tiles) {
        return (tiles + VECTOR_LANES - 1 + 15) / 16 * 16;
    }

    /**
     * Floats between the points' blocks of {@code size}: not a multiple of 4 KiB, but 128 bytes past
     * one, so the 16 points of a tile, read or written together, fall in different cache sets (at
     * 4 KiB strides all 16 map to one set of the 8-way L1). A precaution from the cache's geometry:
     * the transforms' times did not move measurably with it on this VM.
     */
    private static int pointStride(int size) {
        return (size + 1023) / 1024 * 1024 + 32;
    }

    /**
     * Where a group of examples [e0, e1) lies in thread {@code part}'s buffers: its tiles, their row
     * length {@code ld}, the product's columns (the tiles in whole panels), and where v's and m's
     * blocks start and how far apart their points are. Forward and backward both read it from here.
     */
    private record Layout(int tiles, int ld, int cols, int vAt, int mAt, int vs, int ms) {
    }

    private Layout layout(int e0, int e1, int part) {
        int tiles = (e1 - e0) * tilesPerExample;
        int ld = ld(tiles);
        return new Layout(tiles, ld, (tiles + 15) / 16 * 16, part * POINTS * pointStride(channelRows * groupLd),
                part * POINTS * pointStride(filterRows * groupLd), pointStride(channelRows * ld), pointStride(filterRows * ld));
    }

    /** As {@link #prepareForward(float[], int, boolean)} for a pass that does not train. */
    public void prepareForward(float[] params, int wOff) {
        prepareForward(params, wOff, false);
    }

    /**
     * Transforms and packs the weights [F][C][3][3] at {@code wOff} for {@link #forward}: once per
     * forward pass. A pass that trains (and every pass after one) packs into the shared scratch; one
     * that does not keeps its packing until the weights change.
     */
    public void prepareForward(float[] params, int wOff, boolean training) {
        takeScratch();
        if (training) {
            startTraining();
        }
        if (trains) {
            packed = pack(params, wOff, false, shared.packed());
            return;
        }
        noteWeights(params, wOff);
        if (!forwardPacked) {
            if (uPack == null) {
                uPack = new float[POINTS][gemm.packedSize(filters, channels)];
            }
            pack(params, wOff, false, uPack);
            forwardPacked = true;
        }
        packed = uPack;
    }

    /**
     * Clears the weight-gradient parts of slots [0, slots) ({@link Parallel#slotsOf} of the pass's
     * loop) and, when the input gradient is wanted, transforms and packs W's transpose for it into
     * the shared scratch: once per backward pass, before {@link #backward}.
     */
    public void prepareBackward(float[] params, int wOff, boolean inputGradient, int slots) {
        if (slots < 1 || slots > dwSlots) {
            throw new IllegalArgumentException("slots must be 1 .. " + dwSlots + ", not " + slots);
        }
        slotsInUse = slots;
        takeScratch();
        startTraining();
        int parts = slots * POINTS * filters * channels;
        dwPart = shared.dw(parts);
        java.util.Arrays.fill(dwPart, 0, parts, 0f);
        if (inputGradient) {
            packed = pack(params, wOff, true, shared.packed());
        }
    }

    /** From now on the packings are made at each pass in the shared scratch: this conv's own are dropped. */
    private void startTraining() {
        trains = true;
        uPack = null;
        weights = null;
        weightsNoted = false;
    }

    /** u of the weights at {@code wOff}, packed per point into {@code into} for the forward products (F x C) or, transposed, the input gradient's (C x F). */
    private float[][] pack(float[] params, int wOff, boolean transposed, float[][] into) {
        float[] u = transformWeights(params, wOff);
        for (int x = 0; x < POINTS; x++) {
            gemm.pack(u, x * filters * channels, channels, transposed, transposed ? channels : filters, transposed ? filters : channels, into[x]);
        }
        return into;
    }

    /** The shared buffers for this pass (on the caller's thread, before the pass's tasks read the fields). */
    private void takeScratch() {
        v = shared.v();
        m = shared.m();
    }

    /** Notes the weights at {@code wOff}, unless they are those last seen (compared bit for bit): their packings are then stale. */
    private void noteWeights(float[] params, int wOff) {
        int size = filters * channels * 9;
        if (weights == null) {
            weights = new float[size];
        }
        if (weightsNoted && java.util.Arrays.equals(params, wOff, wOff + size, weights, 0, size)) {
            return;
        }
        System.arraycopy(params, wOff, weights, 0, size);
        weightsNoted = true;
        forwardPacked = false;
    }

    /**
     * u[x][f][c] = (G g G^T)[x] for g = the 3x3 weights of (f, c) at {@code wOff}, in the shared
     * {@link Scratch}: only packings stay, so a training step transforms twice (for the forward's and
     * the backward's packing; by its operation count about 1 % of a ResNet-18 step, not measured).
     */
    private float[] transformWeights(float[] weights, int wOff) {
        float[] u = shared.u();
        int fc = filters * channels;
        float[] t = scratch; // G g: 4 x 3
        for (int f = 0; f < filters; f++) {
            for (int c = 0; c < channels; c++) {
                int g = wOff + (f * channels + c) * 9;
                for (int j = 0; j < 3; j++) {
                    float g0 = weights[g + j];
                    float g1 = weights[g + 3 + j];
                    float g2 = weights[g + 6 + j];
                    t[j] = g0;
                    t[3 + j] = 0.5f * (g0 + g1 + g2);
                    t[6 + j] = 0.5f * (g0 - g1 + g2);
                    t[9 + j] = g2;
                }
                int at = f * channels + c;
                for (int i = 0; i < 4; i++) {
                    float t0 = t[3 * i];
                    float t1 = t[3 * i + 1];
                    float t2 = t[3 * i + 2];
                    u[(4 * i) * fc + at] = t0;
                    u[(4 * i + 1) * fc + at] = 0.5f * (t0 + t1 + t2);
                    u[(4 * i + 2) * fc + at] = 0.5f * (t0 - t1 + t2);
                    u[(4 * i + 3) * fc + at] = t2;
                }
            }
        }
        return u;
    }

    /**
     * The convolution (no bias) of examples [e0, e1) of a batch of n into z: filter f of example e
     * at {@code zAt + f * zLd + (e - e0) * OH * OW}. {@link #prepareForward} must have run.
     */
    public void forward(Parallel p, float[] in, int n, int e0, int e1, float[] z, int zAt, int zLd, int part) {
        Layout g = layout(e0, e1, part);
        transformInput(p, in, n, e0, e1, g.vAt, g.ld, g.vs);
        p.forRange(POINTS, 1, (x0, x1) -> {
            for (int x = x0; x < x1; x++) {
                gemm.multiplyPacked(channels, filters, packed[x], v, g.vAt + x * g.vs, g.ld, m, g.mAt + x * g.ms, g.ld, false, 0,
                        filterRows, 0, g.cols);
            }
        });
        p.forRange(filters, Parallel.grain(24L * g.tiles), (f0, f1) -> {
            float[] tmp = vector ? lanes.get() : null;
            for (int f = f0; f < f1; f++) {
                transformOutput(g.tiles, g.mAt + f * g.ld, g.ms, z, zAt + f * zLd, tmp);
            }
        });
    }

    /**
     * Backward for examples [e0, e1), given dz, the gradient of {@link #forward}'s output in the same
     * layout: adds this group's weight gradient to slot {@code slot}'s part and, when {@code din} is
     * not null, overwrites the examples' planes of the input gradient din [C][n][H][W]. Thread
     * {@code part}'s buffers hold the transformed tiles.
     */
    public void backward(Parallel p, float[] in, int n, int e0, int e1, float[] dz, int dzAt, int dzLd, float[] din, int part, int slot) {
        Layout g = layout(e0, e1, part);
        int dwAt = slot * POINTS * filters * channels;
        p.forRange(filters, Parallel.grain(24L * g.tiles), (f0, f1) -> {
            float[] tmp = vector ? lanes.get() : null;
            for (int f = f0; f < f1; f++) {
                transformOutputGradient(g.tiles, dz, dzAt + f * dzLd, g.mAt + f * g.ld, g.ms, tmp);
            }
        });
        transformInput(p, in, n, e0, e1, g.vAt, g.ld, g.vs);
        p.forRange(POINTS, 1, (x0, x1) -> {
            for (int x = x0; x < x1; x++) {
                int vx = g.vAt + x * g.vs;
                int mx = g.mAt + x * g.ms;
                // dW~[x][F][C] += dY~[x][F][tiles] x V[x][C][tiles]^T (over the tiles only: the columns past them hold no tile)
                gemm.multiplyTransposed(g.tiles, m, mx, g.ld, v, vx, g.ld, dwPart, dwAt + x * filters * channels, channels, true, 0,
                        filters, 0, channels);
                if (din != null) {
                    // the input's tiles are no longer needed at this point: their buffer takes dX~[x][C][tiles] = U[x]^T x dY~[x]
                    gemm.multiplyPacked(filters, channels, packed[x], m, mx, g.ld, v, vx, g.ld, false, 0, channelRows, 0, g.cols);
                }
            }
        });
        if (din != null) {
            inverseTransformInput(p, din, n, e0, e1, g.vAt, g.ld, g.vs);
        }
    }

    /** The weight gradient [F][C][3][3] into grads at {@code wOff}: the slots' parts added in order, then G^T (.) G. */
    public void finishBackward(float[] grads, int wOff) {
        int size = POINTS * filters * channels;
        for (int t = 1; t < slotsInUse; t++) {
            for (int i = 0; i < size; i++) {
                dwPart[i] += dwPart[t * size + i];
            }
        }
        int fc = filters * channels;
        float[] q = point;
        float[] t = scratch; // G^T q: 3 x 4
        for (int at = 0; at < fc; at++) {
            for (int x = 0; x < POINTS; x++) {
                q[x] = dwPart[x * fc + at];
            }
            for (int j = 0; j < 4; j++) {
                float q0 = q[j];
                float q1 = q[4 + j];
                float q2 = q[8 + j];
                float q3 = q[12 + j];
                t[j] = q0 + 0.5f * (q1 + q2);
                t[4 + j] = 0.5f * (q1 - q2);
                t[8 + j] = 0.5f * (q1 + q2) + q3;
            }
            int g = wOff + at * 9;
            for (int i = 0; i < 3; i++) {
                float t0 = t[4 * i];
                float t1 = t[4 * i + 1];
                float t2 = t[4 * i + 2];
                float t3 = t[4 * i + 3];
                grads[g + 3 * i] = t0 + 0.5f * (t1 + t2);
                grads[g + 3 * i + 1] = 0.5f * (t1 - t2);
                grads[g + 3 * i + 2] = 0.5f * (t1 + t2) + t3;
            }
        }
    }

    /** B^T d B for every tile of every channel of examples [e0, e1): v[vAt + x * stride + c * ld + t]. */
    private void transformInput(Parallel p, float[] in, int n, int e0, int e1, int vAt, int ld, int stride) {
        int perExample = tilesPerExample;
        p.forRange(channels, Parallel.grain(40L * (e1 - e0) * perExample), (c0, c1) -> {
            float[] d = paddedPlane.get();
            for (int c = c0; c < c1; c++) {
                for (int e = e0; e < e1; e++) {
                    int src = (c * n + e) * h * w;
                    int t = vAt + c * ld + (e - e0) * perExample;
                    if (vector) {
                        VectorDeinterleaved.copy(in, src, h, w, ph, pw, d, 0, halfRow);
                        VectorWinograd.transformInput(d, halfRow, tilesY, tilesX, v, t, stride);
                        continue;
                    }
                    for (int y = 0; y < h; y++) {
                        System.arraycopy(in, src + y * w, d, (y + ph) * planeW + pw, w);
                    }
                    for (int r = 0; r + 3 < planeH; r += 2) {
                        int r0 = r * planeW;
                        int r1 = r0 + planeW;
                        int r2 = r1 + planeW;
                        int r3 = r2 + planeW;
                        for (int s = 0; s + 3 < planeW; s += 2, t++) {
                            // B^T d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3, per column of the tile
                            float a0 = d[r0 + s] - d[r2 + s];
                            float a1 = d[r0 + s + 1] - d[r2 + s + 1];
                            float a2 = d[r0 + s + 2] - d[r2 + s + 2];
                            float a3 = d[r0 + s + 3] - d[r2 + s + 3];
                            float b0 = d[r1 + s] + d[r2 + s];
                            float b1 = d[r1 + s + 1] + d[r2 + s + 1];
                            float b2 = d[r1 + s + 2] + d[r2 + s + 2];
                            float b3 = d[r1 + s + 3] + d[r2 + s + 3];
                            float c0_ = d[r2 + s] - d[r1 + s];
                            float c1_ = d[r2 + s + 1] - d[r1 + s + 1];
                            float c2_ = d[r2 + s + 2] - d[r1 + s + 2];
                            float c3_ = d[r2 + s + 3] - d[r1 + s + 3];
                            float d0 = d[r1 + s] - d[r3 + s];
                            float d1 = d[r1 + s + 1] - d[r3 + s + 1];
                            float d2 = d[r1 + s + 2] - d[r3 + s + 2];
                            float d3 = d[r1 + s + 3] - d[r3 + s + 3];
                            // ... then B on the right: the same combinations along each row
                            v[t] = a0 - a2;
                            v[t + stride] = a1 + a2;
                            v[t + 2 * stride] = a2 - a1;
                            v[t + 3 * stride] = a1 - a3;
                            v[t + 4 * stride] = b0 - b2;
                            v[t + 5 * stride] = b1 + b2;
                            v[t + 6 * stride] = b2 - b1;
                            v[t + 7 * stride] = b1 - b3;
                            v[t + 8 * stride] = c0_ - c2_;
                            v[t + 9 * stride] = c1_ + c2_;
                            v[t + 10 * stride] = c2_ - c1_;
                            v[t + 11 * stride] = c1_ - c3_;
                            v[t + 12 * stride] = d0 - d2;
                            v[t + 13 * stride] = d1 + d2;
                            v[t + 14 * stride] = d2 - d1;
                            v[t + 15 * stride] = d1 - d3;
                        }
                    }
                }
            }
        });
    }

    /**
     * A^T M A for every tile of one filter (point x of tile t at m[base + x * stride + t]): the 2x2
     * outputs into its plane rows at {@code zRow}, the extra ones of odd sizes dropped.
     */
    private void transformOutput(int tiles, int base, int stride, float[] z, int zRow, float[] tmp) {
        int vl = vector ? VectorWinograd.VL : 1;
        if (rowRuns()) {
            for (int t0 = 0; t0 < tiles; t0 += vl) {
                int o = zRow + rowMajorAt(t0);
                VectorWinograd.transformOutputRows(m, base + t0, stride, z, o, highHalfAt(t0, o), ow);
            }
            return;
        }
        if (windowRuns()) {
            // each vector's tiles are neighbouring windows of one example: each output straight to its quarter
            for (int e = 0, first = 0; first < tiles; e++, first += tilesPerExample) {
                for (int t0 = first; t0 < first + tilesPerExample; t0 += vl) {
                    int s = Math.min(t0, first + tilesPerExample - vl);
                    int o = zRow + e * oh * ow + s - first;
                    VectorWinograd.transformOutput(m, base + s, stride, z, o, o + at01, o + at10, o + at11);
                }
            }
            return;
        }
        for (int t0 = 0; t0 < tiles; t0 += vl) {
            int e = t0 / tilesPerExample;
            int ty = t0 % tilesPerExample / tilesX;
            int tx = t0 % tilesX;
            if (vector) {
                VectorWinograd.transformOutput(m, base + t0, stride, tmp, 0, vl, 2 * vl, 3 * vl);
            }
            for (int l = 0; l < vl && t0 + l < tiles; l++) {
                float y00, y01, y10, y11;
                if (vector) {
                    y00 = tmp[l];
                    y01 = tmp[vl + l];
                    y10 = tmp[2 * vl + l];
                    y11 = tmp[3 * vl + l];
                } else {
                    int at = base + t0 + l;
                    float m0 = m[at], m1 = m[at + stride], m2 = m[at + 2 * stride], m3 = m[at + 3 * stride];
                    float m4 = m[at + 4 * stride], m5 = m[at + 5 * stride], m6 = m[at + 6 * stride], m7 = m[at + 7 * stride];
                    float m8 = m[at + 8 * stride], m9 = m[at + 9 * stride], m10 = m[at + 10 * stride], m11 = m[at + 11 * stride];
                    float m12 = m[at + 12 * stride], m13 = m[at + 13 * stride], m14 = m[at + 14 * stride], m15 = m[at + 15 * stride];
                    // A^T M: rows m0 + m1 + m2 and m1 - m2 - m3 of the tile's rows, then the same along them
                    float s0 = m0 + m4 + m8, s1 = m1 + m5 + m9, s2 = m2 + m6 + m10, s3 = m3 + m7 + m11;
                    float q0 = m4 - m8 - m12, q1 = m5 - m9 - m13, q2 = m6 - m10 - m14, q3 = m7 - m11 - m15;
                    y00 = s0 + s1 + s2;
                    y01 = s1 - s2 - s3;
                    y10 = q0 + q1 + q2;
                    y11 = q1 - q2 - q3;
                }
                int y = 2 * ty;
                int x = 2 * tx;
                int o = zRow + outputAt(e, ty, tx);
                z[o] = y00;
                if (x + 1 < ow) {
                    z[o + at01] = y01;
                }
                if (y + 1 < oh) {
                    z[o + at10] = y10;
                    if (x + 1 < ow) {
                        z[o + at11] = y11;
                    }
                }
                if (++tx == tilesX) {
                    tx = 0;
                    if (++ty == tilesY) {
                        ty = 0;
                        e++;
                    }
                }
            }
        }
    }

    /**
     * Whether the output transforms run a vector of tiles at a time straight to and from the planes:
     * in window-major order, VL neighbouring tiles of one example are a run of VL in each quarter.
     * Each example's tiles are then taken in vectors, its last vector moved back to end at its last
     * tile (the lanes it shares with the one before are computed and stored twice, the same values),
     * so no vector spans two examples (those went through the lane buffer one lane at a time: ~2 % of
     * a training step by JFR, the Fashion net's 49 tiles an example being 6 vectors and a tile).
     */
    private boolean windowRuns() {
        return vector && windowMajor && tilesPerExample >= VectorWinograd.VL;
    }

    /**
     * Whether the output transforms of row-major planes run a vector of tiles at a time straight to
     * and from the planes: every half vector is VL/2 whole tiles of one tile row (the tile rows are
     * whole half vectors) of one example (the examples are whole vectors), and no output is dropped
     * (even sizes). ResNet's 32x32, 16x16 and (with 8 lanes) 8x8 planes.
     */
    private boolean rowRuns() {
        int half = VectorWinograd.VL / 2;
        return vector && !windowMajor && oh % 2 == 0 && ow % 2 == 0 && tilesX % half == 0 && tilesPerExample % VectorWinograd.VL == 0;
    }

    /** Where the outputs of tile t (of the group) start in a filter's row-major output: example, row 2ty, column 2tx. */
    private int rowMajorAt(int t) {
        int e = t / tilesPerExample, r = t % tilesPerExample;
        return e * oh * ow + 2 * (r / tilesX) * ow + 2 * (r % tilesX);
    }

    /** Where the second half of the vector of tiles from t0 starts, its first half's outputs at {@code low}: further along the row, or a row pair down. */
    private int highHalfAt(int t0, int low) {
        int half = VectorWinograd.VL / 2;
        return (t0 % tilesX) + half < tilesX ? low + 2 * half : low + 2 * half + ow;
    }

    /** Where output (2 ty, 2 tx) of example e (of the group) lies in a filter's row of the output. */
    private int outputAt(int e, int ty, int tx) {
        return e * oh * ow + (windowMajor ? ty * tilesX + tx : 2 * ty * ow + 2 * tx);
    }

    /** A dY A^T for every tile of one filter, from its plane rows of dz at {@code dzRow} (outputs past odd sizes read as 0). */
    private void transformOutputGradient(int tiles, float[] dz, int dzRow, int base, int stride, float[] tmp) {
        int vl = vector ? VectorWinograd.VL : 1;
        if (rowRuns()) {
            for (int t0 = 0; t0 < tiles; t0 += vl) {
                int o = dzRow + rowMajorAt(t0);
                VectorWinograd.transformOutputGradientRows(dz, o, highHalfAt(t0, o), ow, tmp, m, base + t0, stride);
            }
            return;
        }
        if (windowRuns()) {
            // each gradient straight from its quarter, as in transformOutput
            for (int e = 0, first = 0; first < tiles; e++, first += tilesPerExample) {
                for (int t0 = first; t0 < first + tilesPerExample; t0 += vl) {
                    int s = Math.min(t0, first + tilesPerExample - vl);
                    int o = dzRow + e * oh * ow + s - first;
                    VectorWinograd.transformOutputGradient(dz, o, o + at01, o + at10, o + at11, m, base + s, stride);
                }
            }
            return;
        }
        for (int t0 = 0; t0 < tiles; t0 += vl) {
            int e = t0 / tilesPerExample;
            int ty = t0 % tilesPerExample / tilesX;
            int tx = t0 % tilesX;
            for (int l = 0; l < vl; l++) {
                float g00 = 0f, g01 = 0f, g10 = 0f, g11 = 0f;
                if (t0 + l < tiles) {
                    int y = 2 * ty;
                    int x = 2 * tx;
                    int o = dzRow + outputAt(e, ty, tx);
                    boolean right = x + 1 < ow;
                    boolean down = y + 1 < oh;
                    g00 = dz[o];
                    g01 = right ? dz[o + at01] : 0f;
                    g10 = down ? dz[o + at10] : 0f;
                    g11 = right && down ? dz[o + at11] : 0f;
                    if (++tx == tilesX) {
                        tx = 0;
                        if (++ty == tilesY) {
                            ty = 0;
                            e++;
                        }
                    }
                }
                if (vector) {
                    tmp[l] = g00;
                    tmp[vl + l] = g01;
                    tmp[2 * vl + l] = g10;
                    tmp[3 * vl + l] = g11;
                    continue;
                }
                // A g: a column (g0, g1) becomes (g0, g0 + g1, g0 - g1, -g1); first down the columns ...
                float a0 = g00, a1 = g01;
                float b0 = g00 + g10, b1 = g01 + g11;
                float c0 = g00 - g10, c1 = g01 - g11;
                float d0 = -g10, d1 = -g11;
                // ... then along each row
                int at = base + t0 + l;
                m[at] = a0;
                m[at + stride] = a0 + a1;
                m[at + 2 * stride] = a0 - a1;
                m[at + 3 * stride] = -a1;
                m[at + 4 * stride] = b0;
                m[at + 5 * stride] = b0 + b1;
                m[at + 6 * stride] = b0 - b1;
                m[at + 7 * stride] = -b1;
                m[at + 8 * stride] = c0;
                m[at + 9 * stride] = c0 + c1;
                m[at + 10 * stride] = c0 - c1;
                m[at + 11 * stride] = -c1;
                m[at + 12 * stride] = d0;
                m[at + 13 * stride] = d0 + d1;
                m[at + 14 * stride] = d0 - d1;
                m[at + 15 * stride] = -d1;
            }
            if (vector) {
                VectorWinograd.transformOutputGradient(tmp, 0, vl, 2 * vl, 3 * vl, m, base + t0, stride);
            }
        }
    }

    /** B P B^T of every tile of every channel, added at the tile's place; each example's plane of din overwritten. */
    private void inverseTransformInput(Parallel p, float[] din, int n, int e0, int e1, int vAt, int ld, int stride) {
        int perExample = tilesPerExample;
        p.forRange(channels, Parallel.grain(40L * (e1 - e0) * perExample), (c0, c1) -> {
            float[] d = gradPlane.get();
            for (int c = c0; c < c1; c++) {
                for (int e = e0; e < e1; e++) {
                    int t = vAt + c * ld + (e - e0) * perExample;
                    if (vector) {
                        VectorWinograd.inverseTransformInput(v, t, stride, tilesY, tilesX, d, halfRow);
                        VectorWinograd.interleaveColumns(d, halfRow, tilesX, h, w, ph, pw, din, (c * n + e) * h * w);
                        continue;
                    }
                    java.util.Arrays.fill(d, 0f);
                    for (int r = 0; r + 3 < planeH; r += 2) {
                        int r0 = r * planeW;
                        int r1 = r0 + planeW;
                        int r2 = r1 + planeW;
                        int r3 = r2 + planeW;
                        for (int s = 0; s + 3 < planeW; s += 2, t++) {
                            // B p: (p0, p1 - p2 + p3, p1 + p2 - p0, -p3), first along each row of P ...
                            float p00 = v[t], p01 = v[t + stride], p02 = v[t + 2 * stride], p03 = v[t + 3 * stride];
                            float p10 = v[t + 4 * stride], p11 = v[t + 5 * stride], p12 = v[t + 6 * stride], p13 = v[t + 7 * stride];
                            float p20 = v[t + 8 * stride], p21 = v[t + 9 * stride], p22 = v[t + 10 * stride], p23 = v[t + 11 * stride];
                            float p30 = v[t + 12 * stride], p31 = v[t + 13 * stride], p32 = v[t + 14 * stride], p33 = v[t + 15 * stride];
                            float a0 = p00, a1 = p01 - p02 + p03, a2 = p01 + p02 - p00, a3 = -p03;
                            float b0 = p10, b1 = p11 - p12 + p13, b2 = p11 + p12 - p10, b3 = -p13;
                            float cc0 = p20, cc1 = p21 - p22 + p23, cc2 = p21 + p22 - p20, cc3 = -p23;
                            float dd0 = p30, dd1 = p31 - p32 + p33, dd2 = p31 + p32 - p30, dd3 = -p33;
                            // ... then down each column: rows a, b - c + d, b + c - a, -d
                            d[r0 + s] += a0;
                            d[r0 + s + 1] += a1;
                            d[r0 + s + 2] += a2;
                            d[r0 + s + 3] += a3;
                            d[r1 + s] += b0 - cc0 + dd0;
                            d[r1 + s + 1] += b1 - cc1 + dd1;
                            d[r1 + s + 2] += b2 - cc2 + dd2;
                            d[r1 + s + 3] += b3 - cc3 + dd3;
                            d[r2 + s] += b0 + cc0 - a0;
                            d[r2 + s + 1] += b1 + cc1 - a1;
                            d[r2 + s + 2] += b2 + cc2 - a2;
                            d[r2 + s + 3] += b3 + cc3 - a3;
                            d[r3 + s] -= dd0;
                            d[r3 + s + 1] -= dd1;
                            d[r3 + s + 2] -= dd2;
                            d[r3 + s + 3] -= dd3;
                        }
                    }
                    int dst = (c * n + e) * h * w;
                    for (int y = 0; y < h; y++) {
                        System.arraycopy(d, (y + ph) * planeW + pw, din, dst + y * w, w);
                    }
                }
            }
        });
    }
}
