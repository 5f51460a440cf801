package dev.cnnc.cli;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.train.TrainConfig;
import dev.cnnc.compiler.train.TrainSetup;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.DataSets;
import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Checkpoint;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Loss;
import dev.cnnc.runtime.train.Metrics;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.Schedule;
import dev.cnnc.runtime.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", header = "Train a model on IDX, CIFAR-10 or image-folder data.", description = {
        "Train a model on IDX data (MNIST layout), CIFAR-10 batches or image folders.",
        "The file's train { } section gives the loss, optimizer and defaults; flags override it."})
final class TrainCommand extends ModelCommand {
    @Option(names = "--data", paramLabel = "DIR", description = {"the folder with the IDX files (default: $CNNC_DATA, else",
            "/usr/share/datasets/fashion-mnist, else the small subset shipped in samples/data)"})
    Path data;

    @Option(names = "--init", paramLabel = "W.safetensors", description = "start from these weights (default: PyTorch's initialisation, seeded)")
    Path init;

    @Option(names = "--init-skip", paramLabel = "NAME", split = ",", description = "layers --init leaves out, initialised afresh (a new head of the old one's shape), a comma list")
    java.util.List<String> initSkip;

    @Option(names = "--freeze", paramLabel = "NAME", description = "keep the parameters of every layer up to and including NAME (instead of the file's freeze)")
    String freeze;

    @Option(names = "--freeze-only", paramLabel = "NAME", split = ",", description = "keep the parameters of exactly these layers, a comma list")
    java.util.List<String> freezeOnly;

    @Option(names = "--bn-eval", description = "keep the frozen layers' batchnorms in inference mode: their running statistics normalise and stay as they are (as the file's freeze ... bn eval)")
    boolean bnEval;

    @Option(names = "--save", paramLabel = "W.safetensors", description = "write the trained weights here (atomically)")
    Path save;

    @Option(names = "--steps", converter = FlagValues.LongCount.class, paramLabel = "N", description = "stop after N optimizer steps")
    Long steps;

    @Option(names = "--epochs", converter = FlagValues.Count.class, paramLabel = "N", description = "passes over the training data (default: the file's, else 1)")
    Integer epochs;

    @Option(names = "--batch", converter = FlagValues.Count.class, paramLabel = "N", description = "examples per step (default: the file's, else 32)")
    Integer batch;

    @Option(names = "--lr", converter = FlagValues.Positive.class, paramLabel = "X", description = "learning rate (default: the file's)")
    Double lr;

    @Option(names = "--seed", converter = FlagValues.Seed.class, paramLabel = "N", description = "seed for initialisation, shuffling and dropout (default: the file's, else 0)")
    Long seed;

    @Option(names = "--no-shuffle", description = "take batches in file order")
    boolean noShuffle;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "where the checkpoint is written at every epoch's end, atomically (default: the run folder)")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", converter = FlagValues.LongCount.class, paramLabel = "N", description = "also write one every N steps (default: only at epoch ends)")
    long checkpointEvery;

    @Option(names = "--resume", paramLabel = "DIR|FILE", description = "continue a run from its checkpoint, exactly where it stopped")
    Path resume;

    /** A test hook: runs between writing a checkpoint and renaming it into place. */
    static Runnable beforeCheckpointRename;

    /** A test hook: runs after every training forward (the PyTorch cross-check reads dropout masks there). */
    static java.util.function.Consumer<Network> afterTrainingForward;

    @Option(names = "--val-split", converter = FlagValues.Fraction.class, paramLabel = "F", description = "hold out this fraction of the training data (seeded) for validation; "
            + "without it the test set is watched")
    Double valSplit;

    @Option(names = "--patience", converter = FlagValues.Natural.class, paramLabel = "N", description = "stop when the validation loss has not improved for N epochs, "
            + "restoring the best weights; 0 turns the file's early stopping off (default: the file's early_stopping)")
    Integer patience;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "where metrics.csv and metrics.json go (default: runs/MODEL)")
    Path runDir;

    @Option(names = "--report-every", converter = FlagValues.Natural.class, paramLabel = "N", description = "print the loss every N steps; 0: never (default: 100)")
    int reportEvery = 100;

    @Mixin
    BuildOptions build;

    @Override
    void validate() throws Models.Stop {
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop, InMemoryJavac.Failure {
        TrainConfig train = model.train();
        if (train == null) {
            throw new Models.Stop(Main.FILE_ERRORS, file + " has no train { } section; add one, e.g. train { loss cross_entropy; optimizer adam lr 0.001 }");
        }
        int batchSize = batch != null ? batch : train.batch() != null ? train.batch() : 32;
        long runSeed = seed != null ? seed : train.seed() != null ? train.seed() : 0;
        TrainConfig.Normalization norm = train.normalize();
        IdxDataDir.Spec dataSpec = Models.dataSpec(model);
        // Everything that can be refused is refused here, before any data is read or memory taken.
        MemoryCheck.require(model, batchSize, build.threads(), "--batch", batch != null);
        if (save != null) {
            try {
                dev.cnnc.runtime.io.AtomicFiles.checkWritableFile(save);
            } catch (IOException e) {
                throw new Models.Stop(Main.USAGE, IoMessages.cannot("write the weights (--save)", save, e));
            }
        }
        java.util.Map<String, String> settings = resumeSettings(batchSize, runSeed);
        Path resumeFile = null;
        java.util.Map<String, String> resumedSettings = java.util.Map.of();
        if (resume != null) {
            resumeFile = Files.isDirectory(resume) ? resume.resolve(Checkpoint.FILE) : resume;
            resumedSettings = checkResumable(resumeFile, settings);
        }
        Path runFolder = runDir != null ? runDir
                : resumedSettings.containsKey("run_dir") && Files.isDirectory(Path.of(resumedSettings.get("run_dir"))) ? Path.of(resumedSettings.get("run_dir"))
                : resume != null ? resumeFile.toAbsolutePath().getParent() : null;
        if (runFolder == null) {
            try {
                runFolder = RunFolder.next(runsRoot().resolve(model.name()));
            } catch (IOException e) {
                throw new Models.Stop(Main.USAGE, IoMessages.cannot("list the run folders in", runsRoot().resolve(model.name()), e));
            }
        } else if (resume == null && RunFolder.holdsRun(runFolder)) {
            throw new Models.Stop(Main.USAGE, "--run-dir " + runFolder + " holds an earlier run (metrics.csv); continue it with --resume "
                    + runFolder + ", or give a new --run-dir (without --run-dir each run gets a numbered folder in " + runsRoot() + "/"
                    + model.name() + ")");
        }
        // Checkpoints go to the run folder unless told otherwise.
        Path checkpoints = checkpointDir != null ? checkpointDir : runFolder;
        try {
            dev.cnnc.runtime.io.AtomicFiles.checkWritableFolder(checkpoints);
        } catch (IOException e) {
            throw new Models.Stop(Main.USAGE, IoMessages.cannot("write checkpoints in", checkpoints, e));
        }
        settings.put("run_dir", runFolder.toAbsolutePath().toString());
        try (RunFolder folder = RunFolder.take(runFolder)) {
            if (folder.note() != null) {
                out.println(folder.note());
            }
            return train(model, out, train, batchSize, runSeed, norm, dataSpec, folder.dir(), checkpoints, settings);
        }
    }

    /** The settings an exact resume depends on: a checkpoint saves them, and --resume compares them. */
    private java.util.Map<String, String> resumeSettings(int batchSize, long runSeed) {
        java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("batch", Integer.toString(batchSize));
        s.put("seed", Long.toString(runSeed));
        s.put("shuffle", Boolean.toString(!noShuffle));
        s.put("val_split", valSplit == null ? "none" : Double.toString(valSplit));
        s.put("freeze", freezeSetting());
        return s;
    }

    /** A checkpoint's saved settings, after checking that this run asks for the same ones. */
    private static java.util.Map<String, String> checkResumable(Path file, java.util.Map<String, String> settings) throws Models.Stop {
        java.util.Map<String, String> out;
        try {
            out = Checkpoint.settings(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Models.Stop(Main.FILE_ERRORS, file + ": no checkpoint here (--resume takes a run folder or its "
                    + Checkpoint.FILE + ")");
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the checkpoint", file, e));
        } catch (Checkpoint.Corrupt e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
        for (java.util.Map.Entry<String, String> want : settings.entrySet()) {
            String had = out.get(want.getKey());
            if (had != null && !had.equals(want.getValue())) {
                String flag = switch (want.getKey()) {
                    case "batch" -> "--batch";
                    case "seed" -> "--seed";
                    case "shuffle" -> "--no-shuffle";
                    case "freeze" -> "--freeze, --freeze-only or --bn-eval";
                    default -> "--val-split";
                };
                throw new Models.Stop(Main.USAGE, "--resume " + file + ": the checkpoint's run used " + want.getKey().replace('_', ' ') + " "
                        + had + ", this one asks for " + want.getValue() + "; an exact resume needs the same (" + flag
                        + (want.getKey().equals("shuffle") || want.getKey().equals("freeze") ? " as the first run had it" : " " + had) + ")");
            }
        }
        return out;
    }

    private int train(CheckedModel model, PrintWriter out, TrainConfig train, int batchSize, long runSeed, TrainConfig.Normalization norm,
                      IdxDataDir.Spec dataSpec, Path metricsDir, Path checkpoints, java.util.Map<String, String> settings)
            throws Models.Stop, InMemoryJavac.Failure {
        boolean segmentation = Models.segmentation(model);
        if (segmentation && !train.augment().isEmpty()) {
            throw new Models.Stop(Main.USAGE, model.name() + ": augment moves the images but not their masks yet; "
                    + "remove the augment line to train a segmentation model");
        }
        // a segmentation model cannot train on Fashion-MNIST: without --data it takes the shipped shapes set
        DataLocator.Found found = segmentation ? DataLocator.locateMasks(data, System.getenv(), DataLocator.shippedShapes())
                : DataLocator.locate(data, System.getenv(), DataLocator.DEBIAN, DataLocator.shipped());
        if (found.note() != null) {
            out.println(found.note());
        }
        Path data = found.dir();
        Dataset trainSet;
        Dataset testSet;
        DataSets.Split split;
        try {
            split = DataSets.load(data, dataSpec);
            trainSet = split.train();
            testSet = split.test();
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the data in", data, e));
        } catch (Idx.BadFile e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
        MemoryCheck.requireAfterData(model, batchSize, build.threads(), "--batch", batch != null);
        PrintStream progress = new PrintStream(new WriterOutputStream(out), true);
        java.util.Map<String, float[]> extras = new java.util.LinkedHashMap<>();
        if (norm != null && norm.auto()) {
            // statistics of the (scaled) training images, applied to every split and saved with the weights
            float[][] stats = trainSet.channelStatistics(dataSpec.channels());
            trainSet.standardise(stats[0], stats[1]);
            if (testSet != null) {
                testSet.standardise(stats[0], stats[1]);
            }
            extras.put("normalize.mean", stats[0]);
            extras.put("normalize.std", stats[1]);
            progress.printf("normalize auto: mean %s, std %s (from the training set; saved with the weights)%n",
                    java.util.Arrays.toString(stats[0]), java.util.Arrays.toString(stats[1]));
        }
        try (Network net = build.build(model, batchSize)) {
            Initializer.pytorchDefault(net, runSeed);
            if (init != null) {
                java.util.List<String> left;
                try {
                    left = Checkpoint.loadMatchingWeights(init, net, java.util.Set.copyOf(initSkip == null ? List.of()
                            : Frozen.only(model, initSkip, "--init-skip")));
                } catch (IOException e) {
                    throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the initial weights (--init)", init, e));
                } catch (Safetensors.BadFile | Checkpoint.Corrupt e) {
                    throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
                }
                int loaded = net.tensors().size() - left.size();
                if (loaded == 0) {
                    throw new Models.Stop(Main.FILE_ERRORS, "--init " + init + ": no tensor of " + model.name() + " is in it with its shape: "
                            + "are these weights of another model?");
                }
                progress.printf("init: %d of %d tensors from %s%s%n", loaded, net.tensors().size(), init,
                        left.isEmpty() ? "" : "; initialised afresh: " + String.join(", ", left));
            } else if (initSkip != null) {
                throw new Models.Stop(Main.USAGE, "--init-skip leaves layers out of the weights --init loads: give --init too");
            }
            Frozen frozen = frozen(model, train, net);
            if (frozen != null) {
                if (build.backend != CompileCommand.Backend.java) {
                    throw new Models.Stop(Main.USAGE, "freeze trains on the Java backend for now (the OpenCL update has no frozen ranges yet); drop --backend opencl");
                }
                progress.println(frozen.describe());
            }
            double rate = lr != null ? lr : train.optimizer().lr();
            double decay = train.weightDecay() == null ? 0 : train.weightDecay();
            Optimizer optimizer = TrainSetup.optimizer(train, net.parameters().length, rate);
            if (frozen != null) {
                optimizer.setTrainable(frozen.trainable());
                net.setFrozenPrefix(frozen.prefix());
                if (frozen.batchNormEval()) {
                    net.setEvalInTraining(java.util.Set.copyOf(frozen.layers()));
                }
            }
            int epochCount = epochs != null ? epochs : train.epochs() != null ? train.epochs() : 1;
            Loss loss = Loss.valueOf(train.loss().kind().name());
            if (segmentation && !trainSet.segmentation()) {
                throw new Models.Stop(Main.FILE_ERRORS, model.name() + " classifies each pixel of its " + model.output()
                        + " output, so it needs masks (an IDX labels file [N," + model.output().height() + "," + model.output().width()
                        + "], one class a pixel), but " + data + " has one label an example");
            }
            if (loss.classification() == trainSet.regression()) {
                throw new Models.Stop(Main.FILE_ERRORS, "loss " + loss.name().toLowerCase(java.util.Locale.ROOT) + " needs "
                        + (loss.classification() ? "class labels (a ubyte IDX labels file)" : "float targets (a float IDX labels file)")
                        + ", but " + data + " has " + (trainSet.regression() ? "float targets" : "class labels"));
            }
            Schedule schedule = TrainSetup.schedule(train, epochCount);
            progress.printf("training %s on %s (" + split.format() + "): %,d examples%s, batch %d, %s, %d thread%s%n", model.name(), data, trainSet.count(),
                    testSet == null ? "" : String.format(" (test: %,d)", testSet.count()), batchSize,
                    steps != null ? steps + " steps" : epochCount + " epoch" + (epochCount == 1 ? "" : "s"), build.threads(),
                    build.threads() == 1 ? "" : "s");
            Checkpoint resumed = null;
            if (resume != null) {
                try {
                    resumed = Checkpoint.load(resume, net, optimizer);
                } catch (IOException e) {
                    throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the checkpoint", resume, e));
                } catch (Checkpoint.Corrupt e) {
                    throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
                }
            }
            Dataset validation = null;
            if (valSplit != null) {
                Dataset[] parts = trainSet.split(valSplit, runSeed);
                trainSet = parts[0];
                validation = parts[1];
                progress.printf("validation: %,d of the training examples%n", validation.count());
            }
            int patienceEpochs = patience != null ? patience : train.earlyStoppingPatience() != null ? train.earlyStoppingPatience() : 0;
            Metrics metrics;
            try {
                metrics = resumed == null ? new Metrics(metricsDir, model.name()) : Metrics.continuing(metricsDir, model.name(), resumed.epoch());
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the run's metrics", metricsDir, e));
            }
            progress.println("run folder: " + metricsDir);
            Trainer.Result result;
            var charts = new dev.cnnc.cli.viz.RunCharts(metricsDir, model.name(), validation != null ? "validation" : "test", data);
            try {
                result = new Trainer(net, optimizer, progress).metrics(metrics).listener(charts).afterForward(afterTrainingForward)
                        .terminal(System.console() != null && reportEvery != 0).train(trainSet, validation, testSet,
                        new Trainer.Config(batchSize, epochCount, steps == null ? 0 : steps, !noShuffle, runSeed, reportEvery, loss,
                                train.loss().delta(), schedule, rate, train.l1() == null ? 0 : train.l1(), patienceEpochs,
                                TrainSetup.augmenter(train, dataSpec, runSeed)),
                        new Trainer.Checkpoints(checkpoints, checkpointEvery, beforeCheckpointRename, settings), resumed);
            } catch (Trainer.Diverged e) {
                throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
            } catch (java.io.UncheckedIOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("draw the run's charts in", metricsDir, e.getCause()));
            }
            progress.printf("%d steps, %.0f images/s; metrics in %s%n", result.steps(), result.imagesPerSecond(), metricsDir);
            Path reportFile = metricsDir.resolve("report.html");
            try {
                List<String[]> rows = reportSettings(model, train, data, trainSet, validation, testSet, batchSize, epochCount, rate, decay,
                        schedule, patienceEpochs, runSeed);
                rows.add(new String[] {"result", String.format(java.util.Locale.ROOT, "%,d steps, %.0f images/s", result.steps(), result.imagesPerSecond())});
                if (charts.test() != null) {
                    rows.add(new String[] {"test set", String.format(java.util.Locale.ROOT, "loss %.4f", charts.test().loss())
                            + (Double.isNaN(charts.test().accuracy()) ? "" : String.format(java.util.Locale.ROOT, ", accuracy %.4f (%,d images)",
                            charts.test().accuracy(), charts.test().count()))});
                }
                Dataset shown = testSet != null ? testSet : validation;
                TrainReport.build(model.name() + ": " + metricsDir, dev.cnnc.compiler.report.Summary.render(model), rows, Files.readString(file),
                        charts, net, trainSet, shown, testSet != null ? "test" : "validation", TrainSetup.augmenter(train, dataSpec, runSeed),
                        augmentText(train), dataSpec.channels(), dataSpec.height(), dataSpec.width()).write(reportFile);
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write the run's report", reportFile, e));
            }
            progress.println("report: " + reportFile);
            if (save != null) {
                try {
                    Safetensors.save(net, save, extras);
                } catch (IOException e) {
                    throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write the weights (--save)", save, e));
                }
                progress.println("saved " + save);
            }
        }
        return Main.OK;
    }

    /**
     * The freeze this run's flags ask for, as a resume compares it ("through relu2", "only conv1,conv2",
     * with " bn eval"); without flags "none or the file's" (a train section's freeze travels with the file).
     */
    private String freezeSetting() {
        String layers = freeze != null ? "through " + freeze : freezeOnly != null ? "only " + String.join(",", freezeOnly) : null;
        return layers == null ? "none or the file's" : layers + (bnEval ? " bn eval" : "");
    }

    /** What --freeze, --freeze-only or the file's freeze keep, or null. */
    private Frozen frozen(CheckedModel model, TrainConfig train, Network net) throws Models.Stop {
        java.util.List<String> chosen;
        boolean batchNormEval = bnEval;
        if (freeze != null) {
            chosen = Frozen.through(model, freeze, "--freeze");
        } else if (freezeOnly != null) {
            chosen = Frozen.only(model, freezeOnly, "--freeze-only");
        } else if (train.freeze() != null) {
            TrainConfig.Freeze f = train.freeze();
            chosen = f.through() ? Frozen.through(model, f.layers().get(0), "freeze") : f.layers();
            batchNormEval |= f.batchNormEval();
        } else if (bnEval) {
            throw new Models.Stop(Main.USAGE, "--bn-eval keeps the batchnorms of frozen layers in inference mode: name them with --freeze or --freeze-only");
        } else {
            return null;
        }
        return Frozen.of(model, chosen, net.parameters().length, batchNormEval);
    }

    /** The run's settings as report.html lists them: what the file and the flags made of them. */
    private List<String[]> reportSettings(CheckedModel model, TrainConfig train, Path data, Dataset trainSet, Dataset validation, Dataset testSet,
                                          int batchSize, int epochCount, double rate, double decay, Schedule schedule, int patience, long seed) {
        List<String[]> rows = new java.util.ArrayList<>();
        java.util.function.BiConsumer<String, String> row = (k, v) -> rows.add(new String[] {k, v});
        row.accept("model", model.name() + " (" + file + ")");
        row.accept("data", String.format(java.util.Locale.ROOT, "%s: %,d training images%s%s", data, trainSet.count(),
                validation == null ? "" : String.format(java.util.Locale.ROOT, ", %,d validation", validation.count()),
                testSet == null ? "" : String.format(java.util.Locale.ROOT, ", %,d test", testSet.count())));
        row.accept("batch", Integer.toString(batchSize));
        row.accept(steps != null ? "steps" : "epochs", steps != null ? Long.toString(steps) : Integer.toString(epochCount));
        TrainConfig.Optimizer o = train.optimizer();
        row.accept("optimizer", o.kind() == TrainConfig.Optimizer.Kind.SGD
                ? "sgd, momentum " + dev.cnnc.compiler.model.Numbers.plain(o.momentum()) + (o.nesterov() ? ", nesterov" : "")
                : "adam, betas " + dev.cnnc.compiler.model.Numbers.plain(o.beta1()) + " " + dev.cnnc.compiler.model.Numbers.plain(o.beta2())
                + ", eps " + new java.math.BigDecimal(Double.toString(o.eps())).stripTrailingZeros().toString().toLowerCase(java.util.Locale.ROOT));
        row.accept("learning rate", dev.cnnc.compiler.model.Numbers.plain(rate) + (schedule.kind() == Schedule.Kind.CONSTANT ? ", constant" : ", " + schedule.kind().name().toLowerCase(java.util.Locale.ROOT)
                + " schedule"));
        row.accept("weight decay", dev.cnnc.compiler.model.Numbers.plain(decay));
        row.accept("loss", train.loss().kind().name().toLowerCase(java.util.Locale.ROOT));
        row.accept("augment", train.augment().isEmpty() ? "none" : augmentText(train));
        row.accept("early stopping", patience > 0 ? "patience " + patience + " epochs" : "off");
        row.accept("seed", Long.toString(seed));
        row.accept("backend", build.backend + ", " + build.threads() + " thread" + (build.threads() == 1 ? "" : "s"));
        return rows;
    }

    private static String augmentText(TrainConfig train) {
        return String.join(", ", train.augment().stream().map(a -> a.kind().name().toLowerCase(java.util.Locale.ROOT)
                + (a.kind() == TrainConfig.Augmentation.Kind.FLIP ? "" : " " + dev.cnnc.compiler.model.Numbers.plain(a.amount()))).toList());
    }

    /** Where run folders go by default: ./runs, or -Dcnnc.runs (the tests point it into target/). */
    static Path runsRoot() {
        return Path.of(System.getProperty("cnnc.runs", "runs"));
    }

    /** Lets the runtime's PrintStream reporting go to picocli's writer (tests capture it). */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final PrintWriter writer;

        WriterOutputStream(PrintWriter writer) {
            this.writer = writer;
        }

        @Override
        public void write(int b) {
            writer.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writer.write(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        public void flush() {
            writer.flush();
        }
    }
}
