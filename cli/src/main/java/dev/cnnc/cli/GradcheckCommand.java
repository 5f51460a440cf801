package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.verify.GradCheck;
import dev.cnnc.runtime.Network;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "gradcheck", description = {
        "Check the gradients of your model on random data: the reference implementation against",
        "finite differences, and the generated code against the reference. Prints the worst",
        "relative error per layer."})
final class GradcheckCommand implements Callable<Integer> {
    static final double REFERENCE_TOLERANCE = 1e-6;
    static final double GENERATED_TOLERANCE = 1e-4;

    @Parameters(paramLabel = "FILE", description = "the .cnn file")
    Path file;

    @Option(names = "--batch", paramLabel = "N", description = "examples per check (default: 2)")
    int batch = 2;

    @Option(names = "--samples", paramLabel = "N", description = "finite differences per tensor (default: 8)")
    int samples = 8;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the random data (default: 1)")
    long seed = 1;

    @Mixin
    BuildOptions build;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InMemoryJavac.Failure {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CheckedModel model;
        try {
            model = Models.load(file, err);
        } catch (Models.Stop stop) {
            err.println("cnnc: error: " + stop.getMessage());
            return stop.exitCode;
        }
        if (batch < 1) {
            err.println("cnnc: error: --batch must be at least 1");
            return Main.USAGE;
        }
        List<GradCheck.Row> fd = GradCheck.finiteDifferences(model, batch, samples, new Random(seed));
        List<GradCheck.Row> generated;
        try (Network net = JavaBackend.build(model, batch, build.threads(), build.backend())) {
            generated = GradCheck.againstReference(model, net, batch, new Random(seed + 1));
        }
        Map<String, double[]> perLayer = new LinkedHashMap<>();
        fd.forEach(r -> perLayer.computeIfAbsent(r.layer(), k -> new double[] {0, 0})[0] = Math.max(perLayer.get(r.layer())[0], r.error()));
        generated.forEach(r -> perLayer.computeIfAbsent(r.layer(), k -> new double[] {0, 0})[1] = Math.max(perLayer.get(r.layer())[1], r.error()));
        out.printf(Locale.ROOT, "%-14s %22s %22s%n", "layer", "reference vs finite", "generated vs");
        out.printf(Locale.ROOT, "%-14s %22s %22s%n", "", "differences", "reference");
        boolean ok = true;
        for (Map.Entry<String, double[]> e : perLayer.entrySet()) {
            boolean fdOk = e.getValue()[0] < REFERENCE_TOLERANCE;
            boolean genOk = e.getValue()[1] <= GENERATED_TOLERANCE;
            ok &= fdOk && genOk;
            out.printf(Locale.ROOT, "%-14s %20.2e %s %20.2e %s%n", e.getKey(), e.getValue()[0], fdOk ? " " : "!", e.getValue()[1], genOk ? " " : "!");
        }
        out.printf(Locale.ROOT, "%s (bounds: %.0e against finite differences, %.0e for generated code; float32 against double)%n",
                ok ? "gradients agree" : "GRADIENTS DISAGREE", REFERENCE_TOLERANCE, GENERATED_TOLERANCE);
        return ok ? Main.OK : Main.FILE_ERRORS;
    }
}
