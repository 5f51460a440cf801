package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.SoftmaxCrossEntropy;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", description = "Measure a model's training or inference speed, per op and in images/s, on random data.")
final class BenchCommand extends ModelCommand {
    enum Mode { train, infer }

    @Option(names = "--mode", paramLabel = "train|infer", description = "train: forward, loss, backward and an Adam step; infer: forward only (default: train)")
    Mode mode = Mode.train;

    @Option(names = "--batch", paramLabel = "N", description = "examples per step (default: 64)")
    int batch = 64;

    @Option(names = "--warmup", paramLabel = "SECONDS", description = "time to run before measuring, for the JIT (default: 5)")
    double warmup = 5;

    @Option(names = "--repeat", paramLabel = "N", description = "timed runs of --seconds each; the median is reported (default: 5)")
    int repeat = 5;

    @Option(names = "--seconds", paramLabel = "S", description = "length of one timed run (default: 2)")
    double seconds = 2;

    @Mixin
    BuildOptions build;

    @Override
    void validate() throws Models.Stop {
        if (batch < 1 || repeat < 1 || seconds <= 0 || warmup < 0) {
            throw new Models.Stop(Main.USAGE, "--batch and --repeat must be at least 1, --seconds above 0, --warmup at least 0");
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws InMemoryJavac.Failure {
        try (Network net = JavaBackend.build(model, batch, build.threads(), build.backend())) {
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
            Optimizer adam = Optimizer.adam(net.parameters().length, 1e-4, 0.9, 0.999, 1e-8, 0);
            Runnable step = mode == Mode.infer ? () -> net.forward(x, batch, false) : () -> {
                net.forward(x, batch, true);
                SoftmaxCrossEntropy.lossAndGradient(net.output(), labels, 0, batch, net.outputSize(), net.outputGradient());
                net.backward(batch);
                adam.step(net.parameters(), net.gradients());
            };
            run(step, warmup);
            net.resetTimes();
            double[] rates = new double[repeat];
            long totalSteps = 0;
            long totalNanos = 0;
            for (int r = 0; r < repeat; r++) {
                long t = System.nanoTime();
                long steps = run(step, seconds);
                long nanos = System.nanoTime() - t;
                rates[r] = steps * (double) batch / (nanos / 1e9);
                totalSteps += steps;
                totalNanos += nanos;
            }
            report(out, model, net, rates, totalSteps, totalNanos);
        }
        return Main.OK;
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

    private void report(PrintWriter out, CheckedModel model, Network net, double[] rates, long steps, long nanos) {
        long[] fwd = net.forwardNanos();
        long[] bwd = net.backwardNanos();
        long[] flops = net.opFlops();
        List<String> names = net.opNames();
        long opNanos = Arrays.stream(fwd).sum() + Arrays.stream(bwd).sum();
        out.printf(Locale.ROOT, "%s, %s, batch %d, %s, %d thread%s%n", model.name(), mode == Mode.train ? "training (Adam)" : "inference",
                batch, build.simd == BuildOptions.Simd.vector ? "Vector API" : "plain Java", build.threads(), build.threads() == 1 ? "" : "s");
        out.printf(Locale.ROOT, "%-34s %10s %9s %10s %9s %7s%n", "op", "fwd ms", "GFLOP/s", "bwd ms", "GFLOP/s", "share");
        for (int k = 0; k < names.size(); k++) {
            double f = fwd[k] / 1e6 / steps;
            double b = bwd[k] / 1e6 / steps;
            double fwdFlops = (double) flops[k] * batch;
            // backward of a product is two products (weights and input), of the size of the forward one
            double bwdFlops = 2 * fwdFlops;
            out.printf(Locale.ROOT, "%-34s %10.3f %9.1f %10s %9s %6.1f%%%n", clip(names.get(k)), f, f > 0 ? fwdFlops / (f * 1e6) : 0,
                    mode == Mode.train ? String.format(Locale.ROOT, "%.3f", b) : "-",
                    mode == Mode.train && b > 0 ? String.format(Locale.ROOT, "%.1f", bwdFlops / (b * 1e6)) : "-",
                    100.0 * (fwd[k] + bwd[k]) / Math.max(1, opNanos));
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        double other = nanos / 1e6 / steps - opNanos / 1e6 / steps;
        out.printf(Locale.ROOT, "outside the ops (loss, optimizer, copies): %.3f ms per step%n", Math.max(0, other));
        out.printf(Locale.ROOT, "%.0f images/s (median of %d runs; min %.0f, max %.0f); %.3f ms per step of %d%n", median, rates.length,
                sorted[0], sorted[sorted.length - 1], batch * 1000.0 / median, batch);
    }

    private static String clip(String s) {
        return s.length() > 34 ? s.substring(0, 31) + "..." : s;
    }
}
