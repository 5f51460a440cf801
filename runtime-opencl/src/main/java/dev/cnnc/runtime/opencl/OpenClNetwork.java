package dev.cnnc.runtime.opencl;

import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.train.Rng;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * What generated OpenCL host classes extend: device buffers allocated once, kernels built once,
 * and the {@link Network} contract on top. Parameters, state, activations and gradients live
 * on the device. The arrays {@link #parameters()}, {@link #state()} and {@link #gradients()}
 * return are host copies, fetched when asked for; a caller that changes parameters or state
 * through them (an initializer, a loaded checkpoint, a host-side optimizer) has the change
 * sent to the device before the next forward.
 *
 * <p>Subclasses (generated, one per model) list the kernel launches of each op.
 */
public abstract class OpenClNetwork implements Network {
    /** The description a generated class passes up: its shapes, tables and program. */
    public record Model(String name, int[] inputShape, int inputSize, int outputSize, int parameterCount, int stateCount,
                           List<TensorInfo> tensors, List<String> opNames, long[] opFlops, boolean endsWithSoftmax,
                           long[] dropoutSizes, long[] dropoutDraws, double[] dropoutProbabilities, String inputBuffer, String outputBuffer,
                           String source, Map<String, long[]> buffers) {
    }

    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    /** The optimizer updates, with PyTorch's formulas written as the Java optimizers write them (float, same order). */
    private static final String OPTIMIZERS = """
            #if defined(cl_khr_fp64) && !defined(CNNC_FLOAT_SUMS)
            #pragma OPENCL EXTENSION cl_khr_fp64 : enable
            typedef double acc_t;
            #else
            typedef float acc_t;
            #endif

            // Softmax cross-entropy per example, as SoftmaxCrossEntropy does it: the row's loss, its
            // predicted class, and dLoss/dLogits = (softmax - onehot) / n written as the output gradient.
            __kernel void softmax_xent(__global const float* logits, __global const int* labels, __global float* grad,
                                       __global float* loss, __global int* predicted, const int width, const int n) {
                const int b = get_global_id(0);
                if (b >= n) return;
                const __global float* x = logits + b * width;
                float mx = -INFINITY;
                int best = 0;
                for (int i = 0; i < width; i++) {
                    mx = fmax(mx, x[i]);
                    if (x[i] > x[best]) best = i;
                }
                acc_t sum = 0;
                for (int i = 0; i < width; i++) sum += exp((acc_t) (x[i] - mx));
                const int label = labels[b];
                const acc_t logSum = log(sum) + mx;
                loss[b] = (float) (logSum - x[label]);
                predicted[b] = best;
                for (int i = 0; i < width; i++) {
                    const acc_t p = exp(x[i] - logSum);
                    grad[b * width + i] = (float) ((p - (i == label ? 1 : 0)) / n);
                }
            }

            __kernel void sgd_step(__global float* p, __global float* g, __global float* v, const float lr, const float momentum,
                                   const int nesterov, const int first, const float wd, const float l1, const int count) {
                const int i = get_global_id(0);
                if (i >= count) return;
                float gi = g[i];
                if (l1 > 0.0f) { gi += l1 * sign(p[i]); g[i] = gi; }
                if (wd != 0.0f) gi += wd * p[i];
                if (momentum != 0.0f) {
                    const float u = first ? gi : momentum * v[i] + gi;
                    v[i] = u;
                    gi = nesterov ? gi + momentum * u : u;
                }
                p[i] -= lr * gi;
            }

            __kernel void adam_step(__global float* p, __global float* g, __global float* m, __global float* v, const float stepSize,
                                    const float bc2Sqrt, const float beta1, const float beta2, const float eps, const float wd,
                                    const float l1, const int count) {
                const int i = get_global_id(0);
                if (i >= count) return;
                float gi = g[i];
                if (l1 > 0.0f) { gi += l1 * sign(p[i]); g[i] = gi; }
                if (wd != 0.0f) gi += wd * p[i];
                m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
                v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
                const float denom = sqrt(v[i]) / bc2Sqrt + eps;
                p[i] -= stepSize * m[i] / denom;
            }
            """;

    private final Model model;
    private final int maxBatch;
    protected final OpenClContext cl;
    private final cl_program program;
    private final Map<String, cl_mem> buffers = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final Map<String, Long> groupSizes = new HashMap<>();
    private final Map<String, Long> groupLimits = new HashMap<>();
    private final Map<String, Integer> splitParts = new HashMap<>();

    private final cl_mem parameterBuffer;
    private final cl_mem stateBuffer;
    private final cl_mem gradientBuffer;
    private final cl_mem inputBuffer;
    private final cl_mem outputBuffer;
    private final cl_mem inputGradientBuffer;
    private final cl_mem outputGradientBuffer;

    private final float[] params;
    private final float[] grads;
    private final float[] stateArray;
    private final float[] output;
    private final float[] outputGradient;
    private final float[] inputGradient;
    private final float[][] masks;
    private final long[] forwardNanos;
    private final long[] backwardNanos;
    private final long[] dropoutSeeds;

    private final cl_program optimizers;
    private dev.cnnc.runtime.train.Optimizer boundOptimizer; // whose state is in OPT0/OPT1 on the device
    private cl_mem[] optimizerState;

    private cl_mem labelBuffer;
    private cl_mem rowLossBuffer;
    private cl_mem predictedBuffer;
    private final float[] rowLoss;
    private int outputStale;                    // examples of the last forward whose output has not been read yet
    private boolean outputGradientOnDevice;     // crossEntropy left it there; backward must not overwrite it

    private boolean hostParamsChanged = true;   // host copies must go to the device before the next run
    private boolean deviceParamsNewer;          // the device changed parameters or state since the last fetch
    private boolean inputGradientEnabled;
    private boolean opTiming;
    private int lastBatch;
    private final Rng random = new Rng(0);

    protected OpenClNetwork(Model model, int maxBatch, int device) throws OpenClDevices.Unavailable, OpenClContext.BuildFailure {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.model = model;
        this.maxBatch = maxBatch;
        this.cl = OpenClContext.open(device);
        try {
            this.program = cl.build(model.name() + ".cl", model.source());
            this.optimizers = cl.build("optimizers.cl", OPTIMIZERS);
            for (Map.Entry<String, long[]> b : model.buffers().entrySet()) {
                long[] size = b.getValue(); // {per example, fixed, ints (0/1)}
                buffers.put(b.getKey(), cl.buffer(b.getKey(), 4L * (size[0] * maxBatch + size[1])));
            }
        } catch (RuntimeException | OpenClContext.BuildFailure e) {
            cl.close();
            throw e;
        }
        parameterBuffer = buffers.get("P");
        stateBuffer = buffers.get("S");
        gradientBuffer = buffers.get("G");
        inputBuffer = buffers.get(model.inputBuffer());
        outputBuffer = buffers.get(model.outputBuffer());
        inputGradientBuffer = buffers.get("D" + model.inputBuffer().substring(1));
        outputGradientBuffer = buffers.get("D" + model.outputBuffer().substring(1));
        params = new float[model.parameterCount()];
        grads = new float[model.parameterCount()];
        stateArray = new float[model.stateCount()];
        output = new float[maxBatch * model.outputSize()];
        outputGradient = new float[maxBatch * model.outputSize()];
        inputGradient = new float[maxBatch * model.inputSize()];
        masks = new float[model.dropoutSizes().length][];
        for (int i = 0; i < masks.length; i++) {
            masks[i] = new float[(int) (model.dropoutSizes()[i] * maxBatch)];
        }
        rowLoss = new float[maxBatch];
        forwardNanos = new long[model.opNames().size()];
        backwardNanos = new long[model.opNames().size()];
        dropoutSeeds = new long[masks.length];
    }

    /** Enqueues the forward kernels of every op for a batch of n. */
    protected abstract void forwardOps(int n, boolean training);

    /** Enqueues the backward kernels, last op first. */
    protected abstract void backwardOps(int n);

    /** Enqueues one kernel over {@code perExample * n + fixed} items; arguments name buffers or are "n", "count", "seed:i", "threshold:i". */
    protected final void launch(String kernel, long perExample, long fixed, int n, String... args) {
        enqueue(kernel, perExample * n + fixed, n, args);
    }

    /**
     * Enqueues a kernel over a grid of one to three dimensions, given as triples (perExample,
     * fixed, per): ceil((perExample * n + fixed) / per) items each. The runtime picks the work
     * groups: these kernels share nothing within a group (each item owns a register tile).
     */
    protected final void launchGrid(String kernel, long[] extents, int n, String... args) {
        long[] global = grid(extents, n);
        // on a GPU (local tiles on) groups that divide the grid; a CPU runtime's own choice measured as good
        long[] local = cl.localTiles() == null ? null
                : WorkGroups.gridGroup(global, Math.min(WorkGroups.GRID_GROUP_ITEMS, groupLimit(kernel)));
        enqueueGrid(kernel, global, local, n, args);
    }

    /**
     * A matrix product's grid (see {@link #launchGrid}). Where the program was built with
     * local-memory tiles, its work groups are fitted to the product's tiles within the program's
     * TGX x TGY ({@link WorkGroups#productGroup}) and the grid is rounded up to them (the kernel
     * stores nothing past its matrix).
     */
    protected final void launchTiles(String kernel, long[] extents, int n, String... args) {
        long[] global = grid(extents, n);
        enqueueGrid(kernel, global, tileGroup(kernel, global), n, args);
    }

    /**
     * A product split into parts ({@code summed}: a sum over batches, else along k; the third
     * extent bounds how many, {@code maxParts} its partial buffer): as many as the device's
     * compute units want ({@link WorkGroups#deviceParts}). The count is kept for the launches
     * after it that add the parts up (argument "parts:KERNEL", condition {@link #parts}).
     */
    protected final void launchSplit(String kernel, long[] extents, int maxParts, boolean summed, int n, String... args) {
        long[] global = grid(extents, n);
        long[] local = tileGroup(kernel, global);
        long groups = local == null ? global[0] * global[1] : global[0] / local[0] * (global[1] / local[1]);
        int count = WorkGroups.deviceParts(local != null, summed, cl.computeUnits(), groups, maxParts, global[2]);
        splitParts.put(kernel, count);
        global[2] = count;
        enqueueGrid(kernel, global, local, n, args);
    }

    /**
     * A kernel that shares local memory, in groups of exactly {@code local}: {@code extents} count
     * groups per dimension (as {@link #launchGrid}'s count items).
     */
    protected final void launchGroups(String kernel, long[] extents, long[] local, int n, String... args) {
        long[] global = grid(extents, n);
        for (int d = 0; d < global.length; d++) {
            global[d] *= local[d];
        }
        enqueueGrid(kernel, global, local, n, args);
    }

    /** How many parts the last launch of split product {@code kernel} used (1 before any). */
    protected final int parts(String kernel) {
        return splitParts.getOrDefault(kernel, 1);
    }

    /** A product's work group where local tiles are on (rounding {@code global} up to it), else null. */
    private long[] tileGroup(String kernel, long[] global) {
        int[] tiles = cl.localTiles();
        if (tiles == null) {
            return null;
        }
        long[] xy = WorkGroups.productGroup(tiles, global[0], global[1], groupLimit(kernel));
        long[] local = new long[global.length];
        for (int d = 0; d < global.length; d++) {
            local[d] = d < 2 ? xy[d] : 1;
            global[d] = (global[d] + local[d] - 1) / local[d] * local[d];
        }
        return local;
    }

    private long groupLimit(String kernel) {
        return groupLimits.computeIfAbsent(kernel, key -> cl.kernelWorkGroupLimit(kernel(program, key)));
    }

    private void enqueueGrid(String kernel, long[] global, long[] local, int n, String... args) {
        long start = System.nanoTime();
        cl.enqueueGrid(kernel(program, kernel), global, local, arguments(args, n, global[0]));
        timed(kernel, start);
    }

    private static long[] grid(long[] extents, int n) {
        long[] global = new long[extents.length / 3];
        for (int d = 0; d < global.length; d++) {
            long size = extents[3 * d] * n + extents[3 * d + 1];
            global[d] = Math.max(1, (size + extents[3 * d + 2] - 1) / extents[3 * d + 2]);
        }
        return global;
    }

    /** With profiling on, waits for the kernel just enqueued and books its time. */
    private void timed(String kernel, long start) {
        if (KernelTimes.ENABLED != null) {
            cl.finish();
            KernelTimes.ENABLED.add(kernel, System.nanoTime() - start);
        }
    }

    private Object[] arguments(String[] args, int n, long global) {
        Object[] values = new Object[args.length + 1];
        for (int i = 0; i < args.length; i++) {
            values[i] = argument(args[i], n, global);
        }
        values[args.length] = n; // every generated kernel takes the batch size last
        return values;
    }

    private void enqueue(String kernel, long global, int n, String... args) {
        run(program, kernel, global, arguments(args, n, global));
    }

    /** Kernel {@code name} of program {@code from}, created on first use. */
    private cl_kernel kernel(cl_program from, String name) {
        return kernels.computeIfAbsent(name, key -> cl.kernel(from, key));
    }

    /** Enqueues kernel {@code name} of {@code from} over {@code global} items, in work groups of the size the device prefers for it. */
    private void run(cl_program from, String name, long global, Object... args) {
        cl_kernel k = kernel(from, name);
        long start = System.nanoTime();
        cl.enqueue(k, global, groupSizes.computeIfAbsent(name, key -> cl.workGroupSize(k)), args);
        timed(name, start);
    }

    private Object argument(String name, int n, long global) {
        if (name.equals("count")) {
            return (int) global;
        }
        if (name.startsWith("parts:")) {
            return parts(name.substring(6));
        }
        if (name.startsWith("seed:")) {
            return dropoutSeeds[Integer.parseInt(name.substring(5))];
        }
        if (name.startsWith("threshold:")) {
            // nextDouble() < p  <=>  (bits >>> 11) < ceil(p * 2^53), since nextDouble() = (bits >>> 11) * 2^-53
            return (long) Math.ceil(model.dropoutProbabilities()[Integer.parseInt(name.substring(10))] * 0x1p53);
        }
        cl_mem m = buffers.get(name);
        if (m == null) {
            throw new IllegalStateException("no buffer " + name);
        }
        return m;
    }

    /**
     * Runs op {@code index}'s launches; with op timing on, drains the queue after them so that the
     * time booked is the op's own (a wait the host does not make otherwise).
     */
    protected final void timed(int index, boolean forward, Runnable launches) {
        if (!opTiming) {
            launches.run();
            return;
        }
        long t = System.nanoTime();
        launches.run();
        cl.finish();
        (forward ? forwardNanos : backwardNanos)[index] += System.nanoTime() - t;
    }

    /** Per-op times cost a drained queue after every op: off unless asked for (cnnc bench's profile pass). */
    @Override
    public void setOpTiming(boolean on) {
        opTiming = on;
    }

    /** What the host asked of the device since the last {@link OpenClContext#resetTraffic()} (launches, copies, waits). */
    public OpenClContext.Traffic traffic() {
        return cl.traffic();
    }

    public void resetTraffic() {
        cl.resetTraffic();
    }

    /** The device's copy bandwidth in GB/s (see {@link OpenClContext#copyBandwidth}). */
    public double copyBandwidth(long bytes) {
        return cl.copyBandwidth(bytes);
    }

    /** Sends host-side parameter and state changes to the device (a no-op when there are none). */
    public final void pushParameters() {
        if (hostParamsChanged) {
            cl.write(parameterBuffer, params, params.length);
            cl.write(stateBuffer, stateArray, stateArray.length);
            hostParamsChanged = false;
        }
    }

    private void fetchParameters() {
        if (deviceParamsNewer) {
            cl.read(parameterBuffer, params, params.length);
            cl.read(stateBuffer, stateArray, stateArray.length);
            deviceParamsNewer = false;
        }
    }

    @Override
    public String name() {
        return model.name();
    }

    @Override
    public int[] inputShape() {
        return model.inputShape().clone();
    }

    @Override
    public int inputSize() {
        return model.inputSize();
    }

    @Override
    public int outputSize() {
        return model.outputSize();
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public List<TensorInfo> tensors() {
        return model.tensors();
    }

    @Override
    public float[] parameters() {
        pushParameters();
        fetchParameters();
        hostParamsChanged = true; // the caller may write to the array
        return params;
    }

    @Override
    public float[] gradients() {
        cl.read(gradientBuffer, grads, grads.length);
        return grads;
    }

    @Override
    public float[] state() {
        pushParameters();
        fetchParameters();
        hostParamsChanged = true;
        return stateArray;
    }

    @Override
    public void forward(float[] input, int n, boolean training) {
        checkBatch(n);
        pushParameters();
        lastBatch = training ? n : 0;
        if (training) {
            for (int i = 0; i < dropoutSeeds.length; i++) {
                // Each dropout layer takes the next n * draws values of one SplitMix64 stream, as the Java backend does.
                dropoutSeeds[i] = random.state();
                random.setState(random.state() + n * model.dropoutDraws()[i] * GAMMA);
            }
            if (model.stateCount() > 0) {
                deviceParamsNewer = true; // running statistics move
            }
        }
        cl.writeAsync(inputBuffer, input, n * model.inputSize());
        forwardOps(n, training);
        outputStale = n; // read when asked for: a device loss never needs it
        outputGradientOnDevice = false;
    }

    @Override
    public boolean lossOnDevice() {
        return true;
    }

    @Override
    public double crossEntropy(int[] labels, int from, int n, int[] predicted) {
        if (n != lastBatch) {
            throw new IllegalStateException("crossEntropy(" + n + ") needs a training forward of " + n + " first");
        }
        if (labelBuffer == null) {
            labelBuffer = cl.buffer("labels", 4L * maxBatch);
            rowLossBuffer = cl.buffer("loss per example", 4L * maxBatch);
            predictedBuffer = cl.buffer("predicted classes", 4L * maxBatch);
        }
        int[] batchLabels = from == 0 ? labels : java.util.Arrays.copyOfRange(labels, from, from + n);
        cl.writeAsync(labelBuffer, batchLabels, n);
        run(optimizers, "softmax_xent", n, outputBuffer,
                labelBuffer, outputGradientBuffer, rowLossBuffer, predictedBuffer, model.outputSize(), n);
        cl.read(rowLossBuffer, rowLoss, n);
        cl.read(predictedBuffer, predicted, n);
        double total = 0;
        for (int b = 0; b < n; b++) {
            total += rowLoss[b];
        }
        outputGradientOnDevice = true;
        return total / n;
    }

    @Override
    public float[] output() {
        if (outputStale > 0) {
            cl.read(outputBuffer, output, outputStale * model.outputSize());
            outputStale = 0;
        }
        return output;
    }

    @Override
    public float[] outputGradient() {
        return outputGradient;
    }

    @Override
    public void backward(int n) {
        checkBatch(n);
        if (n != lastBatch) {
            throw new IllegalStateException(lastBatch == 0 ? "backward needs a training forward first" : "backward(" + n + ") after forward(" + lastBatch + ")");
        }
        if (!outputGradientOnDevice) {
            cl.write(outputGradientBuffer, outputGradient, n * model.outputSize());
        }
        outputGradientOnDevice = false;
        backwardOps(n);
        if (inputGradientEnabled) {
            cl.read(inputGradientBuffer, inputGradient, n * model.inputSize());
        }
    }

    protected final boolean inputGradientEnabled() {
        return inputGradientEnabled;
    }

    @Override
    public void setInputGradientEnabled(boolean enabled) {
        inputGradientEnabled = enabled;
    }

    @Override
    public float[] inputGradient() {
        return inputGradient;
    }

    @Override
    public boolean endsWithSoftmax() {
        return model.endsWithSoftmax();
    }

    @Override
    public void setSeed(long seed) {
        random.setState(seed);
    }

    @Override
    public long randomState() {
        return random.state();
    }

    @Override
    public void setRandomState(long state) {
        random.setState(state);
    }

    @Override
    public float[] dropoutMask(int index) {
        cl.read(buffers.get("M" + index), masks[index], masks[index].length);
        return masks[index];
    }

    @Override
    public List<String> opNames() {
        return model.opNames();
    }

    @Override
    public long[] opFlops() {
        return model.opFlops().clone();
    }

    @Override
    public long[] forwardNanos() {
        return forwardNanos.clone();
    }

    @Override
    public long[] backwardNanos() {
        return backwardNanos.clone();
    }

    @Override
    public void resetTimes() {
        java.util.Arrays.fill(forwardNanos, 0);
        java.util.Arrays.fill(backwardNanos, 0);
    }

    /**
     * The optimizer's update on the device: parameters, gradients and the optimizer's state stay
     * there. The host optimizer keeps its settings and step count (so schedules and checkpoints
     * work as with the Java backend); its state arrays are sent once, and fetched by
     * {@link #syncOptimizerState}.
     */
    @Override
    public void step(dev.cnnc.runtime.train.Optimizer optimizer, double l1) {
        pushParameters();
        dev.cnnc.runtime.train.Optimizer.Rule rule = optimizer.rule();
        if (optimizer != boundOptimizer) {
            List<float[]> arrays = List.copyOf(optimizer.stateArrays().values());
            optimizerState = new cl_mem[2];
            for (int i = 0; i < 2; i++) {
                optimizerState[i] = cl.buffer("optimizer state " + i, 4L * Math.max(1, params.length));
                if (i < arrays.size()) {
                    cl.write(optimizerState[i], arrays.get(i), params.length);
                }
            }
            boundOptimizer = optimizer;
        }
        int count = params.length;
        long steps = optimizer.steps();
        String kernel;
        Object[] args;
        if (rule.kind() == dev.cnnc.runtime.train.Optimizer.Rule.Kind.SGD) {
            kernel = "sgd_step";
            args = new Object[] {parameterBuffer, gradientBuffer, optimizerState[0], (float) rule.learningRate(), (float) rule.momentum(),
                    rule.nesterov() ? 1 : 0, steps == 0 ? 1 : 0, (float) rule.weightDecay(), (float) l1, count};
        } else {
            long t = steps + 1;
            // As Optimizer.Adam: the bias corrections in double from the float betas, then rounded to float.
            double bc1 = 1 - Math.pow((float) rule.beta1(), t);
            double bc2 = 1 - Math.pow((float) rule.beta2(), t);
            kernel = "adam_step";
            args = new Object[] {parameterBuffer, gradientBuffer, optimizerState[0], optimizerState[1], (float) (rule.learningRate() / bc1),
                    (float) Math.sqrt(bc2), (float) rule.beta1(), (float) rule.beta2(), (float) rule.eps(), (float) rule.weightDecay(), (float) l1, count};
        }
        run(optimizers, kernel, count, args);
        optimizer.setSteps(steps + 1);
        deviceParamsNewer = true;
    }

    @Override
    public void syncOptimizerState(dev.cnnc.runtime.train.Optimizer optimizer) {
        if (optimizer == boundOptimizer) {
            List<float[]> arrays = List.copyOf(optimizer.stateArrays().values());
            for (int i = 0; i < arrays.size(); i++) {
                cl.read(optimizerState[i], arrays.get(i), params.length);
            }
        }
    }

    @Override
    public boolean gradientsOnHost() {
        return false;
    }

    /** The device this network runs on. */
    public OpenClDevices.Device device() {
        return cl.device();
    }

    private void checkBatch(int n) {
        if (n < 1 || n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " examples; this network holds 1 to " + maxBatch);
        }
    }

    @Override
    public void close() {
        cl.close();
    }
}
