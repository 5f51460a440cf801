package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.verify.GradCheck;
import dev.cnnc.runtime.Network;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gradcheck", header = "Check a model's gradients by finite differences and against the reference.", description = {
        "Check the gradients of your model on random data: the reference implementation against",
        "finite differences, and the generated code against the reference. Prints the worst",
        "relative error per layer."})
final class GradcheckCommand extends ModelCommand {
    static final double REFERENCE_TOLERANCE = 1e-6;
    static final double GENERATED_TOLERANCE = 1e-4;

    @Option(names = "--batch", converter = FlagValues.Count.class, paramLabel = "N", description = "examples per check (default: 2)")
    int batch = 2;

    @Option(names = "--samples", converter = FlagValues.Count.class, paramLabel = "N", description = "finite differences per tensor (default: 8)")
    int samples = 8;

    @Option(names = "--seed", converter = FlagValues.Seed.class, paramLabel = "N", description = "seed of the random data (default: 1)")
    long seed = 1;

    @Mixin
    BuildOptions build;

    @Override
    void validate() throws Models.Stop {
        if (batch < 1) {
            throw new Models.Stop(Main.USAGE, "--batch must be at least 1");
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws InMemoryJavac.Failure, Models.Stop {
        List<GradCheck.Row> fd = GradCheck.finiteDifferences(model, batch, samples, new Random(seed));
        List<GradCheck.Row> generated;
        try (Network net = build.build(model, batch)) {
            generated = GradCheck.againstReference(model, net, batch, new Random(seed + 1));
        }
        // per layer: worst finite-difference error, worst generated error, and the noise floor that goes with it
        Map<String, double[]> perLayer = new LinkedHashMap<>();
        for (GradCheck.Row r : fd) {
            double[] v = perLayer.computeIfAbsent(r.layer(), k -> new double[3]);
            v[0] = Math.max(v[0], r.error());
        }
        boolean ok = true;
        for (GradCheck.Row r : generated) {
            double[] v = perLayer.computeIfAbsent(r.layer(), k -> new double[3]);
            v[1] = Math.max(v[1], r.error());
            v[2] = Math.max(v[2], r.floor());
            ok &= r.within(GENERATED_TOLERANCE);
        }
        out.printf(Locale.ROOT, "%-14s %16s   %16s   %16s%n", "layer", "reference vs", "generated vs", "float32 noise");
        out.printf(Locale.ROOT, "%-14s %16s   %16s   %16s%n", "", "finite diffs", "reference", "floor");
        for (Map.Entry<String, double[]> e : perLayer.entrySet()) {
            double[] v = e.getValue();
            boolean fdOk = v[0] < REFERENCE_TOLERANCE;
            boolean genOk = v[1] <= Math.max(GENERATED_TOLERANCE, 100 * v[2]);
            ok &= fdOk;
            out.printf(Locale.ROOT, "%-14s %16.2e %s %16.2e %s %16.2e%n", e.getKey(), v[0], fdOk ? " " : "!", v[1], genOk ? " " : "!", v[2]);
        }
        out.printf(Locale.ROOT, "%s (bounds: %.0e against finite differences; %.0e, or 100 x the noise floor where the model%n"
                        + "amplifies float32 rounding, for generated code)%n",
                ok ? "gradients agree" : "GRADIENTS DISAGREE", REFERENCE_TOLERANCE, GENERATED_TOLERANCE);
        return ok ? Main.OK : Main.FILE_ERRORS;
    }
}
