package dev.cnnc.runtime.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_CPU;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.CL_PLATFORM_VERSION;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetPlatformInfo;

import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * The OpenCL platforms and devices of this machine, with the limits kernels are tiled by
 * (work-group size, local memory, preferred vector width). Devices are numbered in platform
 * order, as {@code --device N} takes them.
 */
public final class OpenClDevices {
    /** How to get an OpenCL platform on Debian. */
    public static final String INSTALL_HINT = "on Debian: apt-get install -y ocl-icd-libopencl1 pocl-opencl-icd";

    /** No usable OpenCL: the message says what is missing and what to install. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }

    public record Device(int index, String platform, String platformVersion, String name, String type, String version, int computeUnits,
                         long maxWorkGroupSize, long localMemory, long globalMemory, int preferredFloatWidth) {
    }

    private OpenClDevices() {
    }

    public static List<Device> list() throws Unavailable {
        try {
            CL.setExceptionsEnabled(true);
            int[] count = new int[1];
            clGetPlatformIDs(0, null, count);
            if (count[0] == 0) {
                throw new Unavailable("no OpenCL platform found; " + INSTALL_HINT);
            }
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            clGetPlatformIDs(count[0], platforms, null);
            List<Device> out = new ArrayList<>();
            for (cl_platform_id p : platforms) {
                String platformName = platformString(p, CL_PLATFORM_NAME);
                String platformVersion = platformString(p, CL_PLATFORM_VERSION);
                int[] n = new int[1];
                try {
                    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
                } catch (CLException noDevices) {
                    continue; // a platform without devices
                }
                cl_device_id[] devices = new cl_device_id[n[0]];
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n[0], devices, null);
                for (cl_device_id d : devices) {
                    long type = deviceLong(d, CL_DEVICE_TYPE);
                    out.add(new Device(out.size(), platformName, platformVersion, deviceString(d, CL_DEVICE_NAME),
                            (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU" : "other",
                            deviceString(d, CL_DEVICE_VERSION), (int) deviceInt(d, CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceSize(d, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceLong(d, CL_DEVICE_LOCAL_MEM_SIZE),
                            deviceLong(d, CL_DEVICE_GLOBAL_MEM_SIZE), (int) deviceInt(d, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT)));
                }
            }
            if (out.isEmpty()) {
                throw new Unavailable("OpenCL platforms were found but no device; " + INSTALL_HINT);
            }
            return out;
        } catch (CLException e) {
            // CL_PLATFORM_NOT_FOUND_KHR (-1001) from the ICD loader: no vendor installed
            throw new Unavailable("no OpenCL platform found (" + e.getMessage() + "); " + INSTALL_HINT);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new Unavailable("the OpenCL library could not be loaded (" + e.getMessage() + "); " + INSTALL_HINT);
        }
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] buffer = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, buffer.length, Pointer.to(buffer), null);
        return new String(buffer, 0, Math.max(0, buffer.length - 1)).trim();
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] buffer = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, buffer.length, Pointer.to(buffer), null);
        return new String(buffer, 0, Math.max(0, buffer.length - 1)).trim();
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_long, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_int, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }
}
