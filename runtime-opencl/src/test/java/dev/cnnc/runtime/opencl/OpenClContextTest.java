package dev.cnnc.runtime.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.junit.jupiter.api.Test;

/** On PoCL (CI installs pocl-opencl-icd): a kernel runs, and a broken one reports its name and the build log. */
class OpenClContextTest {
    @Test
    void aKernelRunsOnTheDevice() throws Exception {
        try (OpenClContext cl = OpenClContext.open(0)) {
            cl_program p = cl.build("axpy", "__kernel void axpy(__global float* y, __global const float* x, float a, int n) {"
                    + " int i = get_global_id(0); if (i < n) y[i] += a * x[i]; }");
            float[] x = {1, 2, 3, 4, 5};
            float[] y = {10, 20, 30, 40, 50};
            cl_mem dy = cl.buffer(y);
            cl.run(cl.kernel(p, "axpy"), 5, dy, cl.buffer(x), 0.5f, 5);
            float[] out = new float[5];
            cl.read(dy, out);
            assertArrayEquals(new float[] {10.5f, 21, 31.5f, 42, 52.5f}, out);
        }
    }

    @Test
    void aBrokenKernelReportsTheBuildLogWithItsName() throws Exception {
        try (OpenClContext cl = OpenClContext.open(0)) {
            OpenClContext.BuildFailure e = assertThrows(OpenClContext.BuildFailure.class,
                    () -> cl.build("conv9_forward", "__kernel void k(__global float* y) { y[0] = undefined_name; }"));
            assertTrue(e.getMessage().startsWith("OpenCL program conv9_forward does not build on "), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_name"), e.getMessage());
        }
    }

    @Test
    void aMissingDeviceIsNamed() {
        OpenClDevices.Unavailable e = assertThrows(OpenClDevices.Unavailable.class, () -> OpenClContext.open(99));
        assertTrue(e.getMessage().contains("no OpenCL device 99"), e.getMessage());
    }

    /** A buffer past 2^31 - 1 values would be reached by wrapped 32-bit indices on a GPU that could hold it: refused, whatever the device's memory. */
    @Test
    void aBufferPastThirtyTwoBitIndicesIsRefused() throws Exception {
        try (OpenClContext cl = OpenClContext.open(0)) {
            OpenClContext.DeviceMemoryError e = assertThrows(OpenClContext.DeviceMemoryError.class,
                    () -> cl.buffer("col4 (conv4 columns)", 4L * (OpenClContext.MAX_INDEXED_VALUES + 1)));
            assertTrue(e.getMessage().equals("buffer col4 (conv4 columns) needs 2,147,483,648 values, more than the 2,147,483,647 the kernels index "
                    + "with 32-bit ints; use a smaller --batch (at most 99% of this one)"), e.getMessage());
        }
    }

    @Test
    void aBufferTheDeviceCannotHoldIsNamed() throws Exception {
        try (OpenClContext cl = OpenClContext.open(0)) {
            OpenClContext.DeviceMemoryError e = assertThrows(OpenClContext.DeviceMemoryError.class,
                    () -> cl.buffer("T7 (conv3 output)", cl.device().globalMemory() * 4));
            assertTrue(e.getMessage().startsWith("buffer T7 (conv3 output) needs "), e.getMessage());
            assertTrue(e.getMessage().contains("smaller --batch"), e.getMessage());
        }
    }
}
