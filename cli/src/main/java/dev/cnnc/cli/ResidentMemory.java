package dev.cnnc.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory as Linux reports it (/proc/self/status), the figure PyTorch's
 * side of {@code bench --compare torch} reads with getrusage: what a step really holds, heap,
 * buffers and all, not what the Java heap says it uses.
 */
final class ResidentMemory {
    private ResidentMemory() {
    }

    /** Resets the peak (VmHWM) to the current size; false where the kernel does not allow it (then peaks are not reported). */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return Double.isFinite(peakMiB());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    static double currentMiB() {
        return field("VmRSS:");
    }

    static double peakMiB() {
        return field("VmHWM:");
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
