package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.OpenClBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL kernels as a GPU compiles them, without a GPU: every sample's kernels through
 * Debian's clang-15 to NVPTX (sm_80), with the options the host gives a GPU (local-memory tiles,
 * the largest groups of 16x8 (what NVIDIA's 48 KiB allow) and 8x8, vector widths 1 and 4). No
 * kernel may keep a per-item stack (".local" in the PTX): an accumulator array indexed by a loop
 * left rolled lives there instead of in registers, hundreds of local loads and stores a product
 * (issue 29, finding 1); and none may declare more local memory than a group gets (48 KiB).
 */
class NvptxRegisterTest {
    static final List<String> SETTINGS = List.of("-DCNNC_LOCAL_TILES -DTGX=16 -DTGY=8 -DVW=1", "-DCNNC_LOCAL_TILES -DTGX=8 -DTGY=8 -DVW=4");

    @Test
    void noKernelOfAnySampleSpillsToLocalMemory(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<Path> samples;
        try (Stream<Path> s = Files.list(Path.of("../samples"))) {
            samples = s.filter(p -> p.toString().endsWith(".cnn")).sorted().toList();
        }
        assertTrue(samples.size() >= 10, "samples: " + samples);
        List<String> stacks = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger kernels = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger largestShared = new java.util.concurrent.atomic.AtomicInteger();
        List<String> overShared = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String[]> jobs = new ArrayList<>(); // {sample, .cl file, setting}
        for (Path sample : samples) {
            CheckResult r = Frontend.check(SourceFiles.read(sample));
            assertTrue(r.ok(), sample + ": " + r.diagnostics());
            Path cl = dir.resolve(r.model().name() + ".cl");
            Files.writeString(cl, OpenClBackend.sources(r.model(), "p", true).kernels());
            for (String setting : SETTINGS) {
                jobs.add(new String[] {sample.getFileName().toString(), cl.toString(), setting});
            }
        }
        // one clang per core at a time: the PTX of the large samples takes most of this test's time
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int j = 0; j < jobs.size(); j++) {
            String[] job = jobs.get(j);
            Path out = dir.resolve("out" + j + ".ptx");
            done.add(pool.submit(() -> {
                String ptx = ptx(Path.of(job[1]), job[2], out);
                Matcher entry = Pattern.compile("\\.entry\\s+(\\w+)").matcher(ptx);
                List<Integer> starts = new ArrayList<>();
                List<String> names = new ArrayList<>();
                while (entry.find()) {
                    starts.add(entry.start());
                    names.add(entry.group(1));
                }
                kernels.addAndGet(names.size());
                // local memory a group declares, per kernel: within the 48 KiB a group gets on NVIDIA's OpenCL
                Matcher shared = Pattern.compile("\\.shared\\s+\\.align\\s+\\d+\\s+\\.b8\\s+(\\w+?)_\\$_\\w+\\[(\\d+)\\]").matcher(ptx);
                java.util.Map<String, Integer> bytes = new java.util.HashMap<>();
                while (shared.find()) {
                    bytes.merge(shared.group(1), Integer.parseInt(shared.group(2)), Integer::sum);
                }
                bytes.forEach((kernel, b) -> {
                    largestShared.accumulateAndGet(b, Math::max);
                    if (b > 48 * 1024) {
                        overShared.add(job[0] + " " + kernel + ": " + b + " bytes [" + job[2] + "]");
                    }
                });
                for (int e = 0; e < names.size(); e++) {
                    String body = ptx.substring(starts.get(e), e + 1 < names.size() ? starts.get(e + 1) : ptx.length());
                    if (body.contains("__local_depot")) {
                        stacks.add(job[0] + " " + names.get(e) + " [" + job[2] + "]");
                    }
                }
                return null;
            }));
        }
        pool.shutdown();
        for (java.util.concurrent.Future<?> f : done) {
            f.get();
        }
        System.out.println("NVPTX: " + kernels + " kernels of " + samples.size() + " samples compiled, " + stacks.size() + " with a local stack; "
                + "the most local memory a kernel's group declares: " + largestShared + " bytes");
        assertTrue(kernels.get() > 100, kernels + " kernels");
        assertEquals(List.of(), stacks, "kernels keeping a per-item stack (.local) on NVPTX");
        assertTrue(largestShared.get() > 0, "the products stage tiles in local memory");
        assertEquals(List.of(), overShared, "kernels declaring more local memory than a group gets (48 KiB)");
    }

    private static String ptx(Path cl, String setting, Path out) throws Exception {
        List<String> command = new ArrayList<>(List.of("clang-15", "-x", "cl", "-cl-std=CL1.2", "-target", "nvptx64-nvidia-nvcl",
                "-Xclang", "-finclude-default-header", "-march=sm_80", "-O3", "-S", "-Wno-everything"));
        command.addAll(List.of(setting.split(" ")));
        command.addAll(List.of(cl.toString(), "-o", out.toString()));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("this test compiles the kernels with clang-15 (apt-get install -y clang-15): " + e.getMessage());
        }
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "clang-15 timed out on " + cl);
        assertEquals(0, p.exitValue(), "clang-15 " + setting + " " + cl + ":\n" + log);
        return Files.readString(out);
    }
}
