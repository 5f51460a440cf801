package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cnnc devices on PoCL (CI installs pocl-opencl-icd), and without any OpenCL platform. */
class DevicesCommandTest {
    @Test
    void listsTheCpuDevice() {
        CheckCommandTest.Run r = CheckCommandTest.run("devices");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Portable Computing Language"), r.out());
        assertTrue(r.out().contains("  0: ") && r.out().contains("work groups up to"), r.out());
        // PoCL is a CPU device: no local-memory tiles, splits by its compute units
        assertTrue(r.out().contains("products in register tiles") && r.out().contains("split products sized for"), r.out());
    }

    @Test
    void withoutAPlatformSaysWhatToInstall(@TempDir Path emptyVendors) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "devices").redirectErrorStream(true);
        pb.environment().put("OCL_ICD_VENDORS", emptyVendors.toString()); // the ICD loader then finds no vendor
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("cnnc: error: no OpenCL platform found") && out.contains("apt-get install -y ocl-icd-libopencl1 pocl-opencl-icd"),
                out);
        assertFalse(out.contains("\tat "), out);
    }
}
