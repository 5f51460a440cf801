package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.train.TrainConfig;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.data.Images;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Checkpoint;
import dev.cnnc.runtime.data.DataSets;
import dev.cnnc.runtime.kernels.Ops;
import dev.cnnc.runtime.train.Evaluation;
import dev.cnnc.runtime.train.Loss;
import dev.cnnc.runtime.train.Schedule;
import dev.cnnc.runtime.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "predict", header = "Run a trained model on a data set (accuracy) or on image files (classes).", description = "Run a trained model: accuracy on IDX data, or the most likely classes of image files.")
final class PredictCommand extends ModelCommand {
    static final class Source {
        @Option(names = "--data", paramLabel = "DIR", description = "IDX data: the test split (t10k-*), else the training split")
        Path data;

        @Option(names = "--image", paramLabel = "FILE", arity = "1..*", description = "image files (PNG, JPEG...), resized to the model's input")
        List<Path> images;
    }

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the trained weights")
    Path weights;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--top", converter = FlagValues.Count.class, paramLabel = "K", description = "classes to show per image, 1 to the model's outputs (default: 3, or fewer when the model has fewer)")
    Integer top;

    @Option(names = "--classes", paramLabel = "FILE", description = "class names, one per line (default: class numbers)")
    Path classes;

    @Mixin
    BuildOptions build;

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop, InMemoryJavac.Failure {
        IdxDataDir.Spec spec = Models.dataSpec(model);
        int outputs = spec.classes();
        List<String> names = new ArrayList<>();
        try {
            if (classes != null) {
                names = Files.readAllLines(classes);
            }
        } catch (IOException e) {
            throw new Models.Stop(Main.USAGE, IoMessages.cannot("read the class names", classes, e));
        }
        names.removeIf(String::isBlank);
        if (classes != null && names.size() != outputs) {
            throw new Models.Stop(Main.USAGE, "--classes " + classes + " names " + names.size() + " class" + (names.size() == 1 ? "" : "es")
                    + ", but " + model.name() + " has " + outputs + " outputs: give one name a line, one line per class");
        }
        if (top != null && top > outputs) {
            throw new Models.Stop(Main.USAGE, "--top " + top + " is more than the model's " + outputs + " classes: use 1 to " + outputs);
        }
        int shown = top != null ? top : Math.min(3, outputs);
        // Inference holds no gradients, and images go through one at a time; a data set's batch is
        // the largest up to 64 that fits this heap (ResNet-18 at 224x224 is 32 MiB an example).
        int batch = 1;
        if (source.data != null) {
            long budget = MemoryCheck.networkBudget(Runtime.getRuntime().maxMemory());
            batch = Math.max(1, Math.min(64, dev.cnnc.compiler.report.MemoryEstimate.largestBatch(model, build.threads(), false, budget)));
        }
        MemoryCheck.require(model, batch, build.threads(), "batch", false, false, Runtime.getRuntime().maxMemory());
        try (Network net = build.build(model, batch)) {
            try {
                var saved = Checkpoint.loadWeights(weights, net);
                // statistics computed by "normalize auto" travel with the weights
                if (saved.containsKey("normalize.mean") && saved.containsKey("normalize.std")) {
                    spec = new IdxDataDir.Spec(spec.channels(), spec.height(), spec.width(), spec.classes(), spec.scale(),
                            saved.get("normalize.mean").getValue(), saved.get("normalize.std").getValue(), spec.outputHeight(), spec.outputWidth());
                }
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the weights", weights, e));
            } catch (Safetensors.BadFile | Checkpoint.Corrupt e) {
                throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
            }
            if (source.data != null) {
                Dataset data;
                try {
                    // the test split when there is one; any layout train reads (IDX, CIFAR-10 batches, image folders)
                    data = Files.isDirectory(source.data) ? IdxDataDir.test(source.data, spec) : null;
                    if (data == null) {
                        DataSets.Split split = DataSets.load(source.data, spec);
                        data = split.test() != null ? split.test() : split.train();
                    }
                } catch (IOException e) {
                    throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the data in", source.data, e));
                } catch (Idx.BadFile e) {
                    throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
                }
                Loss loss = model.train() == null ? Loss.CROSS_ENTROPY : Loss.valueOf(model.train().loss().kind().name());
                Evaluation e = new Trainer(net, null, System.out).evaluate(data, batch, new Trainer.Config(batch, 1, 0, false, 0, 0, loss,
                        model.train() == null ? 1 : model.train().loss().delta(), Schedule.CONSTANT, 0, 0, 0, null));
                out.printf(Locale.ROOT, "%s on %s: %,d examples, loss %.4f%s%n", model.name(), source.data, e.count(), e.loss(),
                        Double.isNaN(e.accuracy()) ? "" : String.format(Locale.ROOT, ", accuracy %.4f", e.accuracy()));
                out.print(e.confusionText());
                return Main.OK;
            }
            for (Path image : source.images) {
                float[] x;
                try {
                    x = Images.read(image, spec.channels(), spec.height(), spec.width());
                } catch (IOException e) {
                    throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the image", image, e));
                } catch (Idx.BadFile e) {
                    throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
                }
                int plane = spec.height() * spec.width();
                for (int i = 0; i < x.length; i++) {
                    x[i] = spec.normalise(x[i], i / plane);
                }
                net.forward(x, 1, false);
                float[] p = java.util.Arrays.copyOf(net.output(), outputs);
                if (!net.endsWithSoftmax()) {
                    Ops.softmax(p, p, 1, outputs);
                }
                Integer[] order = new Integer[outputs];
                for (int i = 0; i < outputs; i++) {
                    order[i] = i;
                }
                java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
                StringBuilder line = new StringBuilder(image.toString()).append(':');
                for (int k = 0; k < shown; k++) {
                    int cls = order[k];
                    String name = cls < names.size() ? names.get(cls) : "class " + cls;
                    line.append(k == 0 ? " " : ", ").append(String.format(Locale.ROOT, "%s (%.3f)", name, p[cls]));
                }
                out.println(line);
            }
        }
        return Main.OK;
    }
}
