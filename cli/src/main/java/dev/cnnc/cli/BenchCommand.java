package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.TorchSpec;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.emit.java.JavaEmitter;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.report.Json;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.json.JsonReader;
import dev.cnnc.runtime.kernels.Gemm;
import dev.cnnc.runtime.kernels.Parallel;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.SoftmaxCrossEntropy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", header = "Measure a model's speed per op and in images/s, optionally against PyTorch.", description = "Measure a model's speed per op and in images/s on random data, against this machine's peak.")
final class BenchCommand extends ModelCommand {
    enum Mode { train, infer }

    /** How the Java backend builds 3x3 stride-1 convolutions: Winograd's F(2x2, 3x3) where it applies, or direct everywhere. */
    enum Conv { winograd, direct }

    /** One build to measure: a backend, and for Java its product kernels and convolutions (null for OpenCL). */
    private record Variant(CompileCommand.Backend backend, BuildOptions.Simd simd, Conv conv) {
    }

    @Option(names = "--backend", split = ",", paramLabel = "java,opencl", description = "backends to measure (default: java)")
    List<CompileCommand.Backend> backends = List.of(CompileCommand.Backend.java);

    @Option(names = "--device", converter = FlagValues.Natural.class, paramLabel = "N", description = "the OpenCL device, numbered as cnnc devices lists them (default: 0)")
    int device;

    @Option(names = "--simd", split = ",", paramLabel = "vector,none", description = "product kernels to measure (default: vector)")
    List<BuildOptions.Simd> simds = List.of(BuildOptions.Simd.vector);

    @Option(names = "--conv", split = ",", paramLabel = "winograd,direct",
            description = "Java convolutions to measure: winograd (where it applies; the default) or direct (im2col and a product)")
    List<Conv> convs = List.of(Conv.winograd);

    @Option(names = "--mode", split = ",", paramLabel = "train,infer",
            description = "train: forward, loss, backward and an Adam step; infer: forward only (default: train)")
    List<Mode> modes = List.of(Mode.train);

    @Option(names = "--batch", converter = FlagValues.Count.class, paramLabel = "N", description = "examples per step (default: 64)")
    int batch = 64;

    @Option(names = "--threads", converter = FlagValues.Threads.class, paramLabel = "N", description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--no-fuse", description = "leave out the fusion passes")
    boolean noFuse;

    @Option(names = "--warmup", converter = FlagValues.NonNegative.class, paramLabel = "SECONDS", description = "time to run before measuring, for the JIT (default: 5)")
    double warmup = 5;

    @Option(names = "--repeat", converter = FlagValues.Count.class, paramLabel = "N", description = "timed runs of --seconds each; the median is reported (default: 5)")
    int repeat = 5;

    @Option(names = "--seconds", converter = FlagValues.Positive.class, paramLabel = "S", description = "length of one timed run (default: 2)")
    double seconds = 2;

    @Option(names = "--compare", paramLabel = "torch", description = "also run the same model in PyTorch (/usr/bin/python3 with python3-torch) and print the ratio")
    String compare;

    @Option(names = "--freeze", paramLabel = "NAME", description = "train with every layer up to and including NAME frozen (as cnnc train --freeze)")
    String freeze;

    /** Whether a measurement of this process already took the resident-memory peak (see measure). */
    private boolean residentMeasured;

    @Option(names = "--json", description = "print the results as JSON")
    boolean json;

    @Override
    void validate() throws Models.Stop {
        if (batch < 1 || repeat < 1 || seconds <= 0 || warmup < 0) {
            throw new Models.Stop(Main.USAGE, "--batch and --repeat must be at least 1, --seconds above 0, --warmup at least 0");
        }
        if (compare != null && !compare.equals("torch")) {
            throw new Models.Stop(Main.USAGE, "--compare takes torch");
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Exception {
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        double peak = peak(threadCount);
        double bandwidth = bandwidth(threadCount);
        List<Object> results = new ArrayList<>();
        if (!json) {
            out.printf(Locale.ROOT, "peak of this machine (tuned matrix product, %d thread%s): %.1f GFLOP/s%n", threadCount,
                    threadCount == 1 ? "" : "s", peak);
            out.printf(Locale.ROOT, "memory bandwidth of this machine (64 MiB copied, read and write counted): %.1f GB/s%n", bandwidth);
        }
        // a device is measured against its own peak and bandwidth, in the same run
        double[] devicePeak = backends.contains(CompileCommand.Backend.opencl) ? devicePeak(device, json ? null : out) : null;
        List<Variant> variants = new ArrayList<>();
        for (CompileCommand.Backend backend : backends) {
            if (backend == CompileCommand.Backend.java) {
                simds.forEach(simd -> convs.forEach(conv -> variants.add(new Variant(backend, simd, conv))));
            } else {
                variants.add(new Variant(backend, null, null));
            }
        }
        for (Mode mode : modes) {
            Double javaRate = null;
            for (Variant v : variants) {
                Map<String, Object> r = measure(model, mode, v, threadCount, v.backend() == CompileCommand.Backend.java ? peak : devicePeak[0], out);
                results.add(r);
                double rate = ((Number) r.get("imagesPerSecond")).doubleValue();
                if (v.backend() == CompileCommand.Backend.java && javaRate == null) {
                    javaRate = rate;
                } else if (v.backend() == CompileCommand.Backend.java) {
                    r.put("ratioToFirstJava", rate / javaRate);
                    if (!json) {
                        out.printf(Locale.ROOT, "this build / the first Java build (%s, same run) = %.2f%n", mode, rate / javaRate);
                    }
                } else if (v.backend() == CompileCommand.Backend.opencl && javaRate != null) {
                    r.put("ratioToJava", rate / javaRate);
                    if (!json) {
                        out.printf(Locale.ROOT, "OpenCL / Java (%s, same run) = %.2f%n", mode, rate / javaRate);
                    }
                }
            }
        }
        if (compare != null) {
            for (Mode mode : modes) {
                double busy = waitForQuietProcess();
                Map<String, Object> torch = torch(model, mode, threadCount);
                torch.put("cnncBusyCoresBefore", busy);
                results.add(torch);
                double ours = ((Number) ((Map<?, ?>) results.get(modes.indexOf(mode) * variants.size())).get("imagesPerSecond")).doubleValue();
                double theirs = ((Number) torch.get("imagesPerSecond")).doubleValue();
                if (!json) {
                    out.printf(Locale.ROOT, "PyTorch %s, %s, batch %d: %.0f images/s; cnnc / PyTorch = %.2f%n", torch.get("torch"), mode, batch,
                            theirs, ours / theirs);
                    Map<?, ?> mine = (Map<?, ?>) results.get(modes.indexOf(mode) * variants.size());
                    if (mine.get("peakRssMiB") != null) {
                        double cnncStep = (Double) mine.get("peakRssMiB") - (Double) mine.get("rssBeforeMiB");
                        double torchStep = (Double) torch.get("peakRssMiB") - (Double) torch.get("rssBeforeMiB");
                        out.printf(Locale.ROOT, "memory, %s: the network and its steps raised peak RSS by %.0f MiB in cnnc, %.0f MiB in PyTorch "
                                + "(cnnc / PyTorch = %.2f; peaks %.0f and %.0f MiB, each process's own)%n", mode, cnncStep, torchStep,
                                cnncStep / torchStep, (Double) mine.get("peakRssMiB"), (Double) torch.get("peakRssMiB"));
                    }
                }
            }
        }
        if (json) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("model", model.name());
            all.put("batch", batch);
            all.put("threads", threadCount);
            all.put("peakGflops", peak);
            if (devicePeak != null) {
                all.put("devicePeakGflops", devicePeak[0]);
                all.put("deviceBandwidthGBps", devicePeak[1]);
            }
            all.put("bandwidthGBps", bandwidth);
            all.put("results", results);
            out.print(Json.write(all));
        }
        return Main.OK;
    }

    /**
     * The machine's memory bandwidth as an op sees it: 64 MiB (far beyond the caches) copied by the
     * threads in parallel, bytes read plus bytes written per second, the best of 8 rounds.
     */
    static double bandwidth(int threads) {
        int size = 1 << 23;
        float[] src = new float[size];
        float[] dst = new float[size];
        java.util.Arrays.fill(src, 1f);
        double best = 0;
        try (Parallel par = new Parallel(threads)) {
            for (int round = 0; round < 8; round++) {
                long t = System.nanoTime();
                par.forRange(size, 1 << 16, (from, to) -> System.arraycopy(src, from, dst, from, to - from));
                best = Math.max(best, 2.0 * 4 * size / (System.nanoTime() - t));
            }
        }
        return best;
    }

    /**
     * An OpenCL device's practical peak, {GFLOP/s, GB/s}: cnnc's own product kernel on the device
     * (a dense layer of 1024 by 1024, batch 512: a 512x1024 by 1024x1024 product), the best of a few
     * rounds, and its device-to-device copy bandwidth.
     */
    static double[] devicePeak(int device, PrintWriter out) throws Exception {
        CheckedModel probe = dev.cnnc.compiler.Frontend.check(new dev.cnnc.compiler.diag.SourceFile("device-peak.cnn",
                "model DevicePeak\ninput 1024\ndense 1024\n")).model();
        int batch = 512;
        double best = 0;
        double bandwidth;
        try (Network net = BuildOptions.build(probe, batch, CompileCommand.Backend.opencl, device, 1, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, 1);
            float[] x = new float[batch * 1024];
            java.util.Arrays.fill(x, 0.5f);
            net.forward(x, batch, false);
            net.output();
            for (int round = 0; round < 8; round++) {
                long t = System.nanoTime();
                for (int i = 0; i < 4; i++) {
                    net.forward(x, batch, false);
                }
                net.output(); // waits for the four
                best = Math.max(best, 4 * 2.0 * batch * 1024 * 1024 / (System.nanoTime() - t));
            }
            bandwidth = ((dev.cnnc.runtime.opencl.OpenClNetwork) net).copyBandwidth(64L << 20);
        }
        if (out != null) {
            out.printf(Locale.ROOT, "peak of the OpenCL device (cnnc's product kernel, 512x1024 by 1024x1024): %.1f GFLOP/s; "
                    + "its copy bandwidth (64 MiB, read and write counted): %.1f GB/s%n", best, bandwidth);
        }
        return new double[] {best, bandwidth};
    }

    /** The machine's practical peak: a large product on the tuned kernel, measured now, with the same threads. */
    static double peak(int threads) {
        int m = 384;
        int n = 3072;
        int k = 384;
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        float[] c = new float[m * n];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextDouble();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextDouble();
        }
        Gemm g = Gemm.of(true);
        double best = 0;
        try (Parallel par = new Parallel(threads)) {
            for (int round = 0; round < 12; round++) {
                long t = System.nanoTime();
                for (int i = 0; i < 5; i++) {
                    g.multiply(par, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
                }
                best = Math.max(best, 5 * 2.0 * m * n * k / (System.nanoTime() - t));
            }
        }
        return best;
    }

    private Map<String, Object> measure(CheckedModel model, Mode mode, Variant v, int threadCount, double peak, PrintWriter out)
            throws InMemoryJavac.Failure, Models.Stop {
        CompileCommand.Backend backend = v.backend();
        BuildOptions.Simd simd = v.simd();
        // The process's peak resident memory from here on (Linux: writing 5 to clear_refs resets VmHWM), for
        // the first measurement of the process only: the JVM keeps the memory it has taken, so a later one's peak says nothing
        boolean peakReset = false;
        if (!residentMeasured) {
            residentMeasured = true;
            System.gc();
            peakReset = ResidentMemory.resetPeak();
        }
        double rssBefore = ResidentMemory.currentMiB();
        try (Network net = BuildOptions.build(model, batch, backend, device, threadCount,
                new JavaBackend.Options(simd != BuildOptions.Simd.none, !noFuse, JavaEmitter.GROUP_BYTES, v.conv() != Conv.direct))) {
            Initializer.pytorchDefault(net, 1);
            SplittableRandom random = new SplittableRandom(1);
            float[] x = new float[batch * net.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextDouble();
            }
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = random.nextInt(net.outputSize());
            }
            // inference holds no optimizer state (two arrays as large as the parameters), as a user's predict does not
            Optimizer adam = mode == Mode.train ? Optimizer.adam(net.parameters().length, 1e-4, 0.9, 0.999, 1e-8, 0) : null;
            if (freeze != null && mode == Mode.train) {
                Frozen frozen = Frozen.of(model, Frozen.through(model, freeze, "--freeze"), net.parameters().length, false);
                adam.setTrainable(frozen.trainable());
                net.setFrozenPrefix(frozen.prefix());
            }
            int[] predicted = new int[batch];
            // as the trainer does: where the network computes the loss on its device, only labels go in and the loss comes out
            Runnable step = mode == Mode.infer ? () -> {
                net.forward(x, batch, false);
                net.output();
            } : () -> {
                net.forward(x, batch, true);
                if (net.lossOnDevice()) {
                    net.crossEntropy(labels, 0, batch, predicted);
                } else {
                    SoftmaxCrossEntropy.lossAndGradient(net.output(), labels, 0, batch, net.outputSize(), net.outputGradient());
                }
                net.backward(batch);
                net.step(adam, 0);
            };
            run(step, warmup);
            net.resetTimes();
            double[] rates = new double[repeat];
            long steps = 0;
            long nanos = 0;
            for (int r = 0; r < repeat; r++) {
                long t = System.nanoTime();
                long s = run(step, seconds);
                long d = System.nanoTime() - t;
                rates[r] = s * (double) batch / (d / 1e9);
                steps += s;
                nanos += d;
            }
            dev.cnnc.runtime.opencl.OpenClContext.Traffic traffic = null;
            if (net instanceof dev.cnnc.runtime.opencl.OpenClNetwork device) {
                // what one step asks of the device, then a profile pass for the per-op table: timing an op waits for it,
                // so the images/s above ran without
                device.resetTraffic();
                step.run();
                traffic = device.traffic();
                net.setOpTiming(true);
                net.resetTimes();
                long t = System.nanoTime();
                steps = run(step, Math.min(seconds, 2.0));
                nanos = System.nanoTime() - t;
            }
            String engine = backend == CompileCommand.Backend.java
                    ? (simd == BuildOptions.Simd.vector ? "Vector API" : "plain Java") + ", " + (v.conv() == Conv.direct ? "direct" : "Winograd")
                    + " convolutions, " + threadCount + " thread" + (threadCount == 1 ? "" : "s")
                    : "OpenCL on " + ((dev.cnnc.runtime.opencl.OpenClNetwork) net).device().name();
            Map<String, Object> result = report(out, model, mode, backend, simd, engine, net, rates, steps, nanos, peak);
            if (traffic != null) {
                result.put("launchesPerStep", traffic.launches());
                result.put("writesPerStep", traffic.writes());
                result.put("readsPerStep", traffic.reads());
                result.put("hostWaitsPerStep", traffic.waits());
                if (!json) {
                    out.printf(Locale.ROOT, "device traffic per %s step: %d kernel launches, %d copies in (%.1f KiB), %d copies out (%.1f KiB), "
                                    + "%d host waits (%d queue finishes); the per-op times above come from a pass that waits after every op%n",
                            mode == Mode.train ? "training" : "inference", traffic.launches(), traffic.writes(), traffic.writeBytes() / 1024.0,
                            traffic.reads(), traffic.readBytes() / 1024.0, traffic.waits(), traffic.finishes());
                }
            }
            if (peakReset) {
                result.put("peakRssMiB", ResidentMemory.peakMiB());
                result.put("rssBeforeMiB", rssBefore);
                if (!json) {
                    out.printf(Locale.ROOT, "memory: peak RSS %.0f MiB, %.0f MiB before the network was built%n", ResidentMemory.peakMiB(), rssBefore);
                }
            }
            result.put("conv", v.conv() == null ? null : v.conv().name());
            return result;
        }
    }

    private static long run(Runnable step, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long steps = 0;
        do {
            step.run();
            steps++;
        } while (System.nanoTime() < end);
        return steps;
    }

    private Map<String, Object> report(PrintWriter out, CheckedModel model, Mode mode, CompileCommand.Backend backend, BuildOptions.Simd simd,
                                       String engine, Network net,
                                       double[] rates, long steps, long nanos, double peak) {
        long[] fwd = net.forwardNanos();
        long[] bwd = net.backwardNanos();
        long[] flops = net.opFlops();
        List<String> names = net.opNames();
        // the plan the network was built from (same fusion): what each op's forward must move through memory
        var plan = dev.cnnc.compiler.lower.Lowering.lower(model, !noFuse);
        boolean planMatches = plan.ops().size() == names.size();
        long opNanos = Arrays.stream(fwd).sum() + Arrays.stream(bwd).sum();
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        // a training step is about three forwards' worth of operations: forward, and two products per
        // product backward; only for the ops whose backward ran (a frozen prefix skips its own)
        long allFlops = 0, backwardFlops = 0;
        for (int k = 0; k < flops.length; k++) {
            allFlops += flops[k];
            backwardFlops += bwd[k] > 0 ? flops[k] : 0;
        }
        double trainFactor = 1 + 2.0 * (allFlops == 0 ? 1 : (double) backwardFlops / allFlops);
        double modelFlops = (mode == Mode.train ? trainFactor : 1.0) * model.flops() * median;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("engine", "cnnc");
        result.put("mode", mode.name());
        result.put("backend", backend.name());
        result.put("simd", simd == null ? null : simd.name());
        result.put("device", engine);
        result.put("imagesPerSecond", median);
        result.put("min", sorted[0]);
        result.put("max", sorted[sorted.length - 1]);
        result.put("msPerStep", batch * 1000.0 / median);
        result.put("gflops", modelFlops / 1e9);
        result.put("percentOfPeak", 100 * modelFlops / 1e9 / peak);
        List<Object> ops = new ArrayList<>();
        for (int k = 0; k < names.size(); k++) {
            double f = fwd[k] / 1e6 / steps;
            double b = bwd[k] / 1e6 / steps;
            double fwdFlops = (double) flops[k] * batch;
            Map<String, Object> op = new LinkedHashMap<>();
            op.put("op", names.get(k));
            op.put("forwardMs", f);
            op.put("forwardGflops", f > 0 ? fwdFlops / (f * 1e6) : 0.0);
            op.put("forwardGBps", planMatches && f > 0 ? plan.ops().get(k).forwardBytes(batch, plan.params()) / (f * 1e6) : null);
            op.put("backwardMs", mode == Mode.train ? b : null);
            op.put("backwardGflops", mode == Mode.train && b > 0 ? 2 * fwdFlops / (b * 1e6) : null);
            op.put("share", (double) (fwd[k] + bwd[k]) / Math.max(1, opNanos));
            ops.add(op);
        }
        result.put("ops", ops);
        if (json) {
            return result;
        }
        out.printf(Locale.ROOT, "%n%s, %s, batch %d, %s%n", model.name(), mode == Mode.train ? "training (Adam)" : "inference", batch, engine);
        out.printf(Locale.ROOT, "%-34s %10s %9s %7s %10s %9s %7s%n", "op", "fwd ms", "GFLOP/s", "GB/s", "bwd ms", "GFLOP/s", "share");
        for (Object o : ops) {
            Map<?, ?> op = (Map<?, ?>) o;
            out.printf(Locale.ROOT, "%-34s %10.3f %9.1f %7s %10s %9s %6.1f%%%n", clip((String) op.get("op")), op.get("forwardMs"), op.get("forwardGflops"),
                    op.get("forwardGBps") == null ? "-" : String.format(Locale.ROOT, "%.1f", op.get("forwardGBps")),
                    op.get("backwardMs") == null ? "-" : String.format(Locale.ROOT, "%.3f", op.get("backwardMs")),
                    op.get("backwardGflops") == null ? "-" : String.format(Locale.ROOT, "%.1f", op.get("backwardGflops")),
                    100 * (Double) op.get("share"));
        }
        double other = nanos / 1e6 / steps - opNanos / 1e6 / steps;
        out.printf(Locale.ROOT, "outside the ops (loss, optimizer, copies): %.3f ms per step%n", Math.max(0, other));
        out.printf(Locale.ROOT, "%.0f images/s (median of %d runs; min %.0f, max %.0f); %.3f ms per step of %d; %.1f GFLOP/s = %.0f%% of peak%n",
                median, rates.length, sorted[0], sorted[sorted.length - 1], batch * 1000.0 / median, batch, modelFlops / 1e9,
                100 * modelFlops / 1e9 / peak);
        return result;
    }

    /**
     * Waits (up to 20 s) until this JVM uses under a tenth of a core, measured over quarter seconds,
     * and returns the cores it used in the last quarter second: the JIT and the collector go on
     * working after cnnc's timed runs, and PyTorch's run (two threads on a two-core machine) must
     * not share the cores with them. (Its ResNet-20 read 285-486 images/s right after cnnc's runs,
     * and 371-617 in a process of its own minutes later; the VM's speed moves too much to say how
     * much of that the JVM took.)
     */
    static double waitForQuietProcess() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (!(os instanceof com.sun.management.OperatingSystemMXBean bean)) {
            return Double.NaN;
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        double cores = Double.NaN;
        int quiet = 0;
        long cpu = bean.getProcessCpuTime(), wall = System.nanoTime();
        while (quiet < 2 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long cpuNow = bean.getProcessCpuTime(), wallNow = System.nanoTime();
            cores = (double) (cpuNow - cpu) / Math.max(1, wallNow - wall);
            quiet = cores < 0.1 ? quiet + 1 : 0;
            cpu = cpuNow;
            wall = wallNow;
        }
        return cores;
    }

    /** The same model in PyTorch (tools/torch_reference.py bench), timed the same way. */
    private Map<String, Object> torch(CheckedModel model, Mode mode, int threadCount) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path script = Path.of(System.getProperty("cnnc.home", ".."), "tools", "torch_reference.py");
        if (!Files.isExecutable(python) || !Files.exists(script)) {
            throw new Models.Stop(Main.USAGE, "--compare torch needs /usr/bin/python3 with PyTorch (apt-get install -y python3-torch) and "
                    + script);
        }
        Path spec = Files.createTempFile("cnnc-bench", ".json");
        try {
            Files.writeString(spec, TorchSpec.json(model));
            Process p = new ProcessBuilder(python.toString(), script.toString(), "bench", "--spec", spec.toString(), "--mode", mode.name(), "--batch",
                    Integer.toString(batch), "--warmup", Double.toString(warmup), "--repeat", Integer.toString(repeat), "--seconds",
                    Double.toString(seconds), "--threads", Integer.toString(threadCount)).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new Models.Stop(Main.FILE_ERRORS, "PyTorch failed" + (text.contains("No module named 'torch'")
                        ? ": install python3-torch" : ":\n" + text));
            }
            Map<?, ?> r = (Map<?, ?>) JsonReader.parse(text.trim().lines().reduce((a, b) -> b).orElse("{}"));
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("engine", "torch");
            result.put("torch", r.get("torch"));
            result.put("mode", mode.name());
            result.put("imagesPerSecond", ((Number) r.get("images_per_second")).doubleValue());
            result.put("min", ((Number) r.get("min")).doubleValue());
            result.put("max", ((Number) r.get("max")).doubleValue());
            result.put("peakRssMiB", ((Number) r.get("peak_rss_mib")).doubleValue());
            result.put("rssBeforeMiB", ((Number) r.get("rss_before_mib")).doubleValue());
            return result;
        } finally {
            Files.deleteIfExists(spec);
        }
    }

    private static String clip(String s) {
        return s.length() > 34 ? s.substring(0, 31) + "..." : s;
    }
}
