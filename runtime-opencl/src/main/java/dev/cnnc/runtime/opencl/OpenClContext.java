package dev.cnnc.runtime.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE;
import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetKernelWorkGroupInfo;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_MEM_COPY_HOST_PTR;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueueWithProperties;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetProgramBuildInfo;
import static org.jocl.CL.clSetKernelArg;

import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * One OpenCL device with a context and an in-order queue: builds programs (a failed build
 * reports the device's build log with the program's name), makes buffers, runs kernels.
 */
public final class OpenClContext implements AutoCloseable {
    /** A program that does not build; the message holds its name and the device's build log. */
    public static final class BuildFailure extends Exception {
        public BuildFailure(String message) {
            super(message);
        }
    }

    private final OpenClDevices.Device device;
    private final cl_device_id id;
    private final cl_context context;
    private final cl_command_queue queue;
    private final List<cl_mem> buffers = new ArrayList<>();
    private final List<cl_program> programs = new ArrayList<>();
    private final List<cl_kernel> kernels = new ArrayList<>();
    /** Decided once, so that the programs this context builds and the launches of their products agree. */
    private final int[] localTiles;
    /** Decided once too: read at every split launch. */
    private final int computeUnits;

    /**
     * What the host asked of the device since {@link #resetTraffic()}: kernel launches, copies each
     * way (calls and bytes), and the calls that made the host wait for the device (blocking copies,
     * finishes, and a staging buffer still in flight).
     */
    public record Traffic(long launches, long writes, long writeBytes, long reads, long readBytes, long waits, long finishes) {
    }

    private long launches, writes, writeBytes, reads, readBytes, waits, finishes;
    /** Direct (pinned) host memory each asynchronous write copies from, and the write still reading it. */
    private final java.util.Map<cl_mem, java.nio.ByteBuffer> staging = new java.util.IdentityHashMap<>();
    private final java.util.Map<cl_mem, org.jocl.cl_event> inFlight = new java.util.IdentityHashMap<>();

    private OpenClContext(OpenClDevices.Device device, cl_device_id id, cl_context context, cl_command_queue queue) {
        this.device = device;
        this.id = id;
        this.context = context;
        this.queue = queue;
        this.localTiles = chooseLocalTiles(device);
        this.computeUnits = chooseComputeUnits(device);
    }

    /**
     * One context and queue per device for the whole process, shared by every network on it. A
     * test JVM that created and released PoCL contexts over and over died now and then with
     * SIGSEGV (in a later, unrelated test); a context is cheap to keep.
     */
    private static final java.util.Map<Integer, OpenClContext> SHARED = new java.util.HashMap<>();

    /**
     * Opens device {@code index} (numbered as {@link OpenClDevices#list()} numbers them): this
     * caller's own buffers, programs and kernels on the process's context for that device.
     */
    public static synchronized OpenClContext open(int index) throws OpenClDevices.Unavailable {
        OpenClContext shared = SHARED.get(index);
        if (shared == null) {
            shared = create(index);
            SHARED.put(index, shared);
        }
        return new OpenClContext(shared.device, shared.id, shared.context, shared.queue);
    }

    private static OpenClContext create(int index) throws OpenClDevices.Unavailable {
        List<OpenClDevices.Device> devices = OpenClDevices.list();
        if (index < 0 || index >= devices.size()) {
            throw new OpenClDevices.Unavailable("no OpenCL device " + index + "; this machine has " + devices.size()
                    + " (see cnnc devices)");
        }
        int[] count = new int[1];
        clGetPlatformIDs(0, null, count);
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        clGetPlatformIDs(count[0], platforms, null);
        int seen = 0;
        for (cl_platform_id p : platforms) {
            int[] n = new int[1];
            try {
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException none) {
                continue;
            }
            if (index < seen + n[0]) {
                cl_device_id[] ids = new cl_device_id[n[0]];
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n[0], ids, null);
                cl_device_id id = ids[index - seen];
                cl_context_properties properties = new cl_context_properties();
                properties.addProperty(CL_CONTEXT_PLATFORM, p);
                cl_context context = clCreateContext(properties, 1, new cl_device_id[] {id}, null, null, null);
                cl_command_queue queue = clCreateCommandQueueWithProperties(context, id, null, null);
                return new OpenClContext(devices.get(index), id, context, queue);
            }
            seen += n[0];
        }
        throw new OpenClDevices.Unavailable("OpenCL device " + index + " disappeared while opening it");
    }

    public OpenClDevices.Device device() {
        return device;
    }

    /** Builds OpenCL C source; {@code name} names it in errors ("conv2_forward"). */
    public cl_program build(String name, String source) throws BuildFailure {
        return build(name, source, vectorWidth());
    }

    /**
     * The float vector width kernels are built for: the device's preferred width, or the
     * {@code cnnc.opencl.vectorWidth} property (1, 2, 4, 8 or 16) where set, so tests can build
     * the same kernels for another width than this device's.
     */
    public int vectorWidth() {
        String forced = System.getProperty("cnnc.opencl.vectorWidth");
        if (forced != null && forced.matches("1|2|4|8|16")) {
            return Integer.parseInt(forced);
        }
        int w = device.preferredFloatWidth();
        return w == 2 || w == 4 || w == 8 || w == 16 ? w : 1;
    }

    /**
     * The work group (TGX, TGY) of the products' local-memory tiles, or null to build them
     * without: on when the device is a GPU (local memory of its own; on a CPU device such as
     * PoCL, "local" memory is ordinary memory and staging only adds copies and barriers: the
     * Fashion-MNIST sample trained at 248 images/s with them, 1,001 without, in one sitting),
     * or as the {@code cnnc.opencl.localTiles} property said when this context was opened
     * (true/false), so tests run both. The largest group the device's local memory and
     * work-group limit allow ({@link WorkGroups#largestTileGroup}); each product is launched
     * with a group fitted to its own tiles within it.
     */
    public int[] localTiles() {
        return localTiles;
    }

    /**
     * How this device runs the products, in words (for {@code cnnc devices}): local-memory tiles
     * in groups of up to TGX x TGY items, or register tiles in groups the runtime picks; and how
     * split products are sized.
     */
    public static String productPlan(OpenClDevices.Device device) {
        int[] tiles = chooseLocalTiles(device);
        String split = String.format(java.util.Locale.ROOT, "split products sized for %d compute units (%s)", chooseComputeUnits(device),
                tiles == null ? WorkGroups.PARTS_PER_CPU_UNIT + " parts a unit" : WorkGroups.GROUPS_PER_UNIT + " groups a unit");
        return tiles == null ? "products in register tiles, work groups chosen by the runtime; " + split
                : String.format(java.util.Locale.ROOT, "products in local-memory tiles, groups of up to %dx%d items (%,d bytes of local memory); %s",
                tiles[0], tiles[1], WorkGroups.localBytes(tiles[0], tiles[1]), split);
    }

    private static int[] chooseLocalTiles(OpenClDevices.Device device) {
        String forced = System.getProperty("cnnc.opencl.localTiles");
        boolean on = forced != null ? Boolean.parseBoolean(forced) : device.type().equals("GPU");
        if (!on) {
            return null;
        }
        return WorkGroups.largestTileGroup(device.maxWorkGroupSize(), device.localMemory());
    }

    /**
     * The device's compute units, which split products are sized by; the
     * {@code cnnc.opencl.computeUnits} property overrides it when this context is opened, so that
     * tests on a CPU device launch the splits a large GPU would.
     */
    public int computeUnits() {
        return computeUnits;
    }

    private static int chooseComputeUnits(OpenClDevices.Device device) {
        String forced = System.getProperty("cnnc.opencl.computeUnits");
        if (forced != null && forced.matches("[1-9][0-9]{0,5}")) {
            return Integer.parseInt(forced);
        }
        return Math.max(1, device.computeUnits());
    }

    /** The most items a work group of {@code kernel} may have on this device (CL_KERNEL_WORK_GROUP_SIZE). */
    public long kernelWorkGroupLimit(cl_kernel kernel) {
        long[] limit = new long[1];
        clGetKernelWorkGroupInfo(kernel, id, CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(limit), null);
        return Math.max(1, limit[0]);
    }

    /**
     * Builds with {@code -DVW=vectorWidth}: generated kernels use floatv, VW floats wide; and
     * with {@code -DCNNC_LOCAL_TILES -DTGX= -DTGY=} where {@link #localTiles()} is set; with
     * {@code -DCNNC_FLOAT_SUMS} (sums in float, as on a device without doubles) where the
     * {@code cnnc.opencl.floatSums} property is true, for the tests.
     */
    public cl_program build(String name, String source, int vectorWidth) throws BuildFailure {
        cl_program program = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        int[] tiles = localTiles;
        String options = "-cl-std=CL1.2 -DVW=" + vectorWidth
                + (tiles == null ? "" : " -DCNNC_LOCAL_TILES -DTGX=" + tiles[0] + " -DTGY=" + tiles[1])
                + (Boolean.getBoolean("cnnc.opencl.floatSums") ? " -DCNNC_FLOAT_SUMS" : "");
        try {
            clBuildProgram(program, 1, new cl_device_id[] {id}, options, null, null);
            programs.add(program);
            return program;
        } catch (CLException e) {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, id, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, id, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            throw new BuildFailure("OpenCL program " + name + " does not build on " + device.name() + ":\n"
                    + new String(log, 0, Math.max(0, log.length - 1)).trim());
        }
    }

    public cl_kernel kernel(cl_program program, String name) {
        cl_kernel k = clCreateKernel(program, name, null);
        kernels.add(k);
        return k;
    }

    /** A device buffer holding a copy of {@code values}. */
    public cl_mem buffer(float[] values) {
        cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, (long) Sizeof.cl_float * values.length,
                Pointer.to(values), null);
        buffers.add(m);
        return m;
    }

    /**
     * An uninitialised device buffer of {@code bytes}; {@code name} names it in the error when the
     * device cannot hold it (the largest single allocation is checked first, then the driver's answer).
     */
    public cl_mem buffer(String name, long bytes) {
        if (bytes / 4 > MAX_INDEXED_VALUES) {
            // the kernels index with 32-bit ints: a larger buffer would be addressed past 2^31 by wrapped indices
            throw new DeviceMemoryError(String.format(java.util.Locale.ROOT, "buffer %s needs %,d values, more than the %,d the kernels "
                    + "index with 32-bit ints; use a smaller --batch (at most %.0f%% of this one)", name, bytes / 4, MAX_INDEXED_VALUES,
                    Math.floor(100.0 * MAX_INDEXED_VALUES / (bytes / 4.0))));
        }
        long[] max = new long[1];
        clGetDeviceInfo(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_long, Pointer.to(max), null);
        if (bytes > max[0]) {
            throw new DeviceMemoryError("buffer " + name + " needs " + mib(bytes) + ", more than the " + mib(max[0])
                    + " one allocation may take on " + device.name() + "; use a smaller --batch");
        }
        try {
            cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(4, bytes), null, null);
            buffers.add(m);
            return m;
        } catch (CLException e) {
            throw new DeviceMemoryError("cannot allocate buffer " + name + " (" + mib(bytes) + ") on " + device.name() + " with "
                    + mib(device.globalMemory()) + " of memory: " + e.getMessage() + "; use a smaller --batch");
        }
    }

    /**
     * The most 4-byte values one buffer may hold: the generated kernels compute indices in int,
     * so every element of every buffer must be reachable below 2^31.
     */
    public static final long MAX_INDEXED_VALUES = Integer.MAX_VALUE;

    /** The device ran out of memory; the message names the buffer. */
    public static final class DeviceMemoryError extends RuntimeException {
        public DeviceMemoryError(String message) {
            super(message, null, false, false);
        }
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    public Traffic traffic() {
        return new Traffic(launches, writes, writeBytes, reads, readBytes, waits, finishes);
    }

    public void resetTraffic() {
        launches = writes = writeBytes = reads = readBytes = waits = finishes = 0;
    }

    /**
     * Copies {@code count} floats of {@code from} to the start of {@code buffer} without waiting:
     * they go through direct host memory kept for that buffer (a Java array may move while the
     * device reads it), and the host goes on enqueueing while the copy runs.
     */
    public void writeAsync(cl_mem buffer, float[] from, int count) {
        if (count > 0) {
            java.nio.ByteBuffer stage = stage(buffer, (long) Sizeof.cl_float * count);
            stage.asFloatBuffer().put(from, 0, count);
            enqueueStaged(buffer, stage, (long) Sizeof.cl_float * count);
        }
    }

    /** Copies {@code count} ints as {@link #writeAsync(cl_mem, float[], int)} copies floats. */
    public void writeAsync(cl_mem buffer, int[] from, int count) {
        if (count > 0) {
            java.nio.ByteBuffer stage = stage(buffer, (long) Sizeof.cl_int * count);
            stage.asIntBuffer().put(from, 0, count);
            enqueueStaged(buffer, stage, (long) Sizeof.cl_int * count);
        }
    }

    /** The staging memory of a buffer, once the device has finished reading its previous contents. */
    private java.nio.ByteBuffer stage(cl_mem buffer, long bytes) {
        org.jocl.cl_event pending = inFlight.remove(buffer);
        if (pending != null) {
            int[] status = new int[1];
            CL.clGetEventInfo(pending, CL.CL_EVENT_COMMAND_EXECUTION_STATUS, Sizeof.cl_int, Pointer.to(status), null);
            if (status[0] != CL.CL_COMPLETE) {
                waits++;
                CL.clWaitForEvents(1, new org.jocl.cl_event[] {pending});
            }
            CL.clReleaseEvent(pending);
        }
        java.nio.ByteBuffer stage = staging.get(buffer);
        if (stage == null || stage.capacity() < bytes) {
            stage = java.nio.ByteBuffer.allocateDirect((int) bytes).order(java.nio.ByteOrder.nativeOrder());
            staging.put(buffer, stage);
        }
        stage.clear();
        return stage;
    }

    private void enqueueStaged(cl_mem buffer, java.nio.ByteBuffer stage, long bytes) {
        org.jocl.cl_event done = new org.jocl.cl_event();
        clEnqueueWriteBuffer(queue, buffer, CL.CL_FALSE, 0, bytes, Pointer.to(stage), 0, null, done);
        inFlight.put(buffer, done);
        writes++;
        writeBytes += bytes;
    }

    /** Copies {@code count} floats of {@code from} to the start of {@code buffer} (blocking). */
    public void write(cl_mem buffer, float[] from, int count) {
        if (count > 0) {
            writes++;
            writeBytes += (long) Sizeof.cl_float * count;
            waits++;
            clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, (long) Sizeof.cl_float * count, Pointer.to(from), 0, null, null);
        }
    }

    /** Copies {@code count} ints of {@code from} to the start of {@code buffer} (blocking). */
    public void write(cl_mem buffer, int[] from, int count) {
        if (count > 0) {
            writes++;
            writeBytes += (long) Sizeof.cl_int * count;
            waits++;
            clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, (long) Sizeof.cl_int * count, Pointer.to(from), 0, null, null);
        }
    }

    /** Copies {@code count} ints from the start of {@code buffer} into {@code into} (blocking). */
    public void read(cl_mem buffer, int[] into, int count) {
        if (count > 0) {
            reads++;
            readBytes += (long) Sizeof.cl_int * count;
            waits++;
            clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, (long) Sizeof.cl_int * count, Pointer.to(into), 0, null, null);
        }
    }

    /** Copies {@code count} floats from the start of {@code buffer} into {@code into} (blocking). */
    public void read(cl_mem buffer, float[] into, int count) {
        if (count > 0) {
            reads++;
            readBytes += (long) Sizeof.cl_float * count;
            waits++;
            clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, (long) Sizeof.cl_float * count, Pointer.to(into), 0, null, null);
        }
    }

    /**
     * A work-group size for {@code kernel}: the device's preferred multiple for it, grown by
     * doubling up to the kernel's limit or 256 (larger groups only help kernels that share local memory).
     */
    public long workGroupSize(cl_kernel kernel) {
        long[] limit = new long[1];
        long[] multiple = new long[1];
        clGetKernelWorkGroupInfo(kernel, id, CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(limit), null);
        clGetKernelWorkGroupInfo(kernel, id, CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, Sizeof.size_t, Pointer.to(multiple), null);
        long size = Math.max(1, multiple[0]);
        while (size * 2 <= Math.min(256, limit[0])) {
            size *= 2;
        }
        return Math.min(size, Math.max(1, limit[0]));
    }

    /** Enqueues a kernel over {@code global} items (rounded up to a multiple of {@code local}); arguments are cl_mem, Integer, Long or Float. */
    public void enqueue(cl_kernel kernel, long global, long local, Object... args) {
        setArgs(kernel, args);
        long rounded = (global + local - 1) / local * local;
        launches++;
        clEnqueueNDRangeKernel(queue, kernel, 1, null, new long[] {rounded}, new long[] {local}, 0, null, null);
    }

    /** Enqueues a kernel over {@code global} items in one to three dimensions, in work groups the implementation chooses. */
    /** Enqueues a kernel over a grid; {@code local} null leaves the work groups to the runtime. */
    public void enqueueGrid(cl_kernel kernel, long[] global, long[] local, Object... args) {
        setArgs(kernel, args);
        launches++;
        clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null);
    }

    /**
     * The device's copy bandwidth in GB/s (bytes read plus bytes written, as the host's figure
     * counts them): the best of several device-to-device copies of {@code bytes}.
     */
    public double copyBandwidth(long bytes) {
        cl_mem from = buffer("bandwidth source", bytes);
        cl_mem to = buffer("bandwidth target", bytes);
        double best = 0;
        for (int round = 0; round < 8; round++) {
            long t = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                CL.clEnqueueCopyBuffer(queue, from, to, 0, 0, bytes, 0, null, null);
            }
            clFinish(queue);
            best = Math.max(best, 4 * 2.0 * bytes / (System.nanoTime() - t));
        }
        CL.clReleaseMemObject(from);
        CL.clReleaseMemObject(to);
        buffers.remove(from);
        buffers.remove(to);
        return best;
    }

    /** Waits for everything enqueued. */
    public void finish() {
        finishes++;
        waits++;
        clFinish(queue);
    }

    public void read(cl_mem buffer, float[] into) {
        reads++;
        readBytes += (long) Sizeof.cl_float * into.length;
        waits++;
        clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, (long) Sizeof.cl_float * into.length, Pointer.to(into), 0, null, null);
    }

    /** Runs a one-dimensional kernel over {@code global} items; arguments are cl_mem, Integer or Float. */
    public void run(cl_kernel kernel, long global, Object... args) {
        setArgs(kernel, args);
        launches++;
        finishes++;
        waits++;
        clEnqueueNDRangeKernel(queue, kernel, 1, null, new long[] {global}, null, 0, null, null);
        clFinish(queue);
    }

    private static void setArgs(cl_kernel kernel, Object... args) {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof cl_mem m) {
                clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(m));
            } else if (a instanceof Integer v) {
                clSetKernelArg(kernel, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
            } else if (a instanceof Float v) {
                clSetKernelArg(kernel, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
            } else if (a instanceof Long v) {
                clSetKernelArg(kernel, i, Sizeof.cl_long, Pointer.to(new long[] {v}));
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " is a " + a.getClass().getSimpleName());
            }
        }
    }

    /**
     * Waits for the queue to drain, then releases the buffers, programs and kernels this caller
     * made; the device's context and queue stay for the next network.
     */
    @Override
    public void close() {
        clFinish(queue);
        inFlight.values().forEach(CL::clReleaseEvent);
        inFlight.clear();
        staging.clear();
        kernels.forEach(CL::clReleaseKernel);
        kernels.clear();
        programs.forEach(CL::clReleaseProgram);
        programs.clear();
        buffers.forEach(CL::clReleaseMemObject);
        buffers.clear();
    }
}
