package dev.cnnc.compiler.train;

import dev.cnnc.compiler.ast.ModelFile;
import dev.cnnc.compiler.ast.Node;
import dev.cnnc.compiler.ast.Value;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.diag.Suggestions;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Args;
import dev.cnnc.compiler.syntax.Signature;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Stage 4: the {@code train { }} section, each key read against its signature. */
public final class TrainSectionChecker {
    private static final Map<String, Signature> LOSSES = new LinkedHashMap<>();
    private static final Map<String, Signature> OPTIMIZERS = new LinkedHashMap<>();
    private static final Map<String, Signature> AUGMENTATIONS = new LinkedHashMap<>();
    private static final Map<String, Signature> SCHEDULES = new LinkedHashMap<>();
    private static final Map<String, Signature> SCALARS = new LinkedHashMap<>();
    private static final Signature NORMALIZE = Signature.of("normalize")
            .option("scale", "X", ArgType.POSITIVE)
            .listOption("mean", "M", ArgType.REAL)
            .listOption("std", "S", ArgType.POSITIVE)
            .flag("auto")
            .build();
    private static final List<String> KEYS = List.of("loss", "optimizer", "weight_decay", "l1", "batch", "epochs", "seed",
            "early_stopping", "augment", "normalize", "schedule", "freeze");

    static {
        for (TrainConfig.Loss.Kind k : TrainConfig.Loss.Kind.values()) {
            String word = k.name().toLowerCase(Locale.ROOT);
            Signature.Builder b = Signature.of("loss " + word);
            if (k == TrainConfig.Loss.Kind.HUBER) {
                b.option("delta", "D", ArgType.POSITIVE);
            }
            LOSSES.put(word, b.build());
        }
        OPTIMIZERS.put("sgd", Signature.of("optimizer sgd").option("lr", "X", ArgType.POSITIVE)
                .option("momentum", "M", ArgType.PROBABILITY).flag("nesterov").build());
        OPTIMIZERS.put("adam", Signature.of("optimizer adam").option("lr", "X", ArgType.POSITIVE)
                .option("beta1", "B", ArgType.PROBABILITY).option("beta2", "B", ArgType.PROBABILITY)
                .option("eps", "E", ArgType.POSITIVE).build());
        AUGMENTATIONS.put("flip", Signature.of("flip").build());
        AUGMENTATIONS.put("shift", Signature.of("shift").positional("pixels", "N", ArgType.COUNT).build());
        AUGMENTATIONS.put("rotate", Signature.of("rotate").positional("degrees", "DEG", ArgType.POSITIVE).build());
        AUGMENTATIONS.put("crop", Signature.of("crop").positional("padding", "N", ArgType.COUNT).build());
        AUGMENTATIONS.put("noise", Signature.of("noise").positional("std", "STD", ArgType.POSITIVE).build());
        SCHEDULES.put("step", Signature.of("schedule step").positional("epochs", "N", ArgType.COUNT)
                .option("gamma", "G", ArgType.POSITIVE).build());
        SCHEDULES.put("cosine", Signature.of("schedule cosine").build());
        SCALARS.put("weight_decay", Signature.of("weight_decay").positional("value", "X", ArgType.NON_NEGATIVE).build());
        SCALARS.put("l1", Signature.of("l1").positional("value", "X", ArgType.NON_NEGATIVE).build());
        SCALARS.put("batch", Signature.of("batch").positional("size", "N", ArgType.COUNT).build());
        SCALARS.put("epochs", Signature.of("epochs").positional("count", "N", ArgType.COUNT).build());
        SCALARS.put("seed", Signature.of("seed").positional("value", "N", ArgType.LONG).build());
        SCALARS.put("early_stopping", Signature.of("early_stopping").option("patience", "N", ArgType.COUNT).build());
    }

    private final Diagnostics diagnostics;
    private String model;
    private List<String> layerNames;

    private TrainSectionChecker(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    /** The checked section, or null when the file has none (or it has errors). */
    public static TrainConfig check(List<ModelFile.TrainSection> sections, Shape input, Shape output, Diagnostics diagnostics) {
        return check(sections, input, output, null, null, diagnostics);
    }

    /** {@code layers}: the model's layer names (null when its layers did not check), which freeze must name. */
    public static TrainConfig check(List<ModelFile.TrainSection> sections, Shape input, Shape output, String model, List<String> layers,
                                    Diagnostics diagnostics) {
        if (sections.isEmpty()) {
            return null;
        }
        for (ModelFile.TrainSection extra : sections.subList(1, sections.size())) {
            diagnostics.at(extra.span(), DiagnosticKind.DUPLICATE_TRAIN_SECTION, sections.get(0).span().line())
                    .hint("merge the two sections").report();
        }
        TrainSectionChecker c = new TrainSectionChecker(diagnostics);
        c.model = model;
        c.layerNames = layers;
        return c.section(sections.get(0), input, output);
    }

    private TrainConfig section(ModelFile.TrainSection section, Shape input, Shape output) {
        int errorsBefore = diagnostics.errorCount();
        Map<String, Node.Statement> byKey = new HashMap<>();
        for (Node.Statement s : section.settings()) {
            String key = s.name().text();
            if (!KEYS.contains(key)) {
                Diagnostics.Builder d = diagnostics.at(s.name().span(), DiagnosticKind.UNKNOWN_TRAIN_KEY, key);
                Suggestions.closest(key, KEYS).ifPresentOrElse(near -> d.hint("did you mean " + near + "?"),
                        () -> d.hint("train settings are: " + String.join(", ", KEYS)));
                d.report();
            } else if (byKey.containsKey(key)) {
                diagnostics.at(s.name().span(), DiagnosticKind.DUPLICATE_TRAIN_KEY, key, byKey.get(key).span().line())
                        .hint("keep one of them").report();
            } else {
                byKey.put(key, s);
            }
        }
        TrainConfig.Loss loss = null;
        if (!byKey.containsKey("loss")) {
            diagnostics.at(section.span(), DiagnosticKind.MISSING_LOSS).hint("add e.g. 'loss cross_entropy'").report();
        } else {
            loss = loss(byKey.get("loss"), output);
        }
        TrainConfig.Optimizer optimizer = null;
        if (!byKey.containsKey("optimizer")) {
            diagnostics.at(section.span(), DiagnosticKind.MISSING_OPTIMIZER).hint("add e.g. 'optimizer adam lr 0.001'").report();
        } else {
            optimizer = optimizer(byKey.get("optimizer"));
        }
        Args weightDecay = scalar(byKey, "weight_decay");
        Args l1 = scalar(byKey, "l1");
        Args batch = scalar(byKey, "batch");
        Args epochs = scalar(byKey, "epochs");
        Args seed = scalar(byKey, "seed");
        Args early = scalar(byKey, "early_stopping");
        if (early != null && early.ok() && !early.has("patience")) {
            early.error(early.span(), DiagnosticKind.MISSING_ARGUMENT, "early_stopping", "patience N")
                    .hint("usage: early_stopping patience N").report();
        }
        List<TrainConfig.Augmentation> augment = byKey.containsKey("augment") ? augment(byKey.get("augment")) : List.of();
        TrainConfig.Normalization normalize = byKey.containsKey("normalize") ? normalize(byKey.get("normalize"), input) : null;
        TrainConfig.Schedule schedule = byKey.containsKey("schedule") ? schedule(byKey.get("schedule")) : null;
        TrainConfig.Freeze freeze = byKey.containsKey("freeze") ? freeze(byKey.get("freeze")) : null;
        if (diagnostics.errorCount() > errorsBefore) {
            return null;
        }
        return new TrainConfig(loss, optimizer,
                weightDecay == null ? null : weightDecay.real("value", 0),
                l1 == null ? null : l1.real("value", 0),
                batch == null ? null : batch.count("size", 0),
                epochs == null ? null : epochs.count("count", 0),
                seed == null ? null : seed.longValue("value", 0),
                early == null ? null : early.count("patience", 0),
                augment, normalize, schedule, freeze);
    }

    /** {@code freeze NAME} or {@code freeze only NAME, NAME...}, every name a layer of the model, then optionally {@code bn eval}. */
    private TrainConfig.Freeze freeze(Node.Statement s) {
        List<Value> args = s.args();
        int n = args.size();
        boolean batchNormEval = n >= 2 && args.get(n - 2) instanceof Value.Word b && b.text().equals("bn")
                && args.get(n - 1) instanceof Value.Word e && e.text().equals("eval");
        if (batchNormEval) {
            args = args.subList(0, n - 2);
        }
        boolean only = !args.isEmpty() && args.get(0) instanceof Value.Word w && w.text().equals("only");
        List<String> names = new ArrayList<>();
        boolean ok = true;
        for (Value v : only ? args.subList(1, args.size()) : args) {
            if (v instanceof Value.Comma) {
                continue;
            }
            if (!(v instanceof Value.Word w)) {
                diagnostics.at(v.span(), DiagnosticKind.INCOMPATIBLE_SETTING, "freeze takes layer names, as cnnc check lists them")
                        .hint("e.g. freeze conv5, or freeze only conv1, batchnorm1, then bn eval to keep their batchnorms in inference mode").report();
                ok = false;
                continue;
            }
            if (layerNames != null && !layerNames.contains(w.text())) {
                Diagnostics.Builder d = diagnostics.at(w.span(), DiagnosticKind.UNKNOWN_FROZEN_LAYER, model, w.text());
                Suggestions.closest(w.text(), layerNames).ifPresentOrElse(near -> d.hint("did you mean " + near + "?"),
                        () -> d.hint("cnnc check lists the layers' names"));
                d.report();
                ok = false;
            }
            names.add(w.text());
        }
        if (names.isEmpty() || (!only && names.size() > 1)) {
            diagnostics.at(s.name().span(), DiagnosticKind.INCOMPATIBLE_SETTING, names.isEmpty() ? "freeze names no layer"
                    : "freeze NAME freezes every layer up to NAME; a list needs 'only'")
                    .hint("e.g. freeze conv5, or freeze only " + (names.isEmpty() ? "conv1, batchnorm1" : String.join(", ", names))).report();
            return null;
        }
        return ok ? new TrainConfig.Freeze(names, !only, batchNormEval) : null;
    }

    private Args scalar(Map<String, Node.Statement> byKey, String key) {
        Node.Statement s = byKey.get(key);
        return s == null ? null : SCALARS.get(key).read(key, s.args(), s.name().span(), diagnostics);
    }

    /** Reads "key choice options...": the first word picks the signature for the rest. */
    private Args choice(Node.Statement s, List<Value> values, String what, Map<String, Signature> choices) {
        String key = s.name().text();
        Span at = values.isEmpty() ? s.name().span() : values.get(0).span();
        if (values.isEmpty() || !(values.get(0) instanceof Value.Word w)) {
            diagnostics.at(at, DiagnosticKind.MISSING_ARGUMENT, key, "a " + what + ": one of " + String.join(", ", choices.keySet()))
                    .report();
            return null;
        }
        Signature signature = choices.get(w.text());
        if (signature == null) {
            Diagnostics.Builder d = diagnostics.at(w.span(), DiagnosticKind.UNKNOWN_CHOICE, what, w.text());
            Suggestions.closest(w.text(), choices.keySet()).ifPresentOrElse(near -> d.hint("did you mean " + near + "?"),
                    () -> d.hint("choose one of: " + String.join(", ", choices.keySet())));
            d.report();
            return null;
        }
        return signature.read(signature.name(), values.subList(1, values.size()), w.span(), diagnostics);
    }

    private TrainConfig.Loss loss(Node.Statement s, Shape output) {
        Args a = choice(s, s.args(), "loss", LOSSES);
        if (a == null || !a.ok()) {
            return null;
        }
        TrainConfig.Loss.Kind kind = TrainConfig.Loss.Kind.valueOf(a.shownAs().substring("loss ".length()).toUpperCase(Locale.ROOT));
        TrainConfig.Loss loss = new TrainConfig.Loss(kind, a.real("delta", 1.0));
        // cross_entropy and nll on an HxWxK output are per-pixel (segmentation): K classes a pixel
        boolean perPixel = kind == TrainConfig.Loss.Kind.CROSS_ENTROPY || kind == TrainConfig.Loss.Kind.NLL;
        if (loss.classification() && output != null && !output.flat() && !perPixel) {
            diagnostics.at(s.args().get(0).span(), DiagnosticKind.INCOMPATIBLE_SETTING,
                            "loss " + kind.name().toLowerCase(Locale.ROOT) + " needs one score per class, but the model ends in " + output)
                    .hint("end the model with flatten and dense N, where N is the number of classes; for a class a pixel "
                            + "(segmentation), loss cross_entropy on an HxWxK output").report();
        }
        return loss;
    }

    private TrainConfig.Optimizer optimizer(Node.Statement s) {
        Args a = choice(s, s.args(), "optimizer", OPTIMIZERS);
        if (a == null || !a.ok()) {
            return null;
        }
        if (a.shownAs().endsWith("sgd")) {
            if (!a.has("lr")) {
                a.error(a.span(), DiagnosticKind.MISSING_ARGUMENT, "optimizer sgd", "a learning rate").hint("e.g. optimizer sgd lr 0.01").report();
                return null;
            }
            double momentum = a.real("momentum", 0);
            if (a.flag("nesterov") && momentum == 0) {
                a.error(a.span(), DiagnosticKind.INCOMPATIBLE_SETTING, "nesterov needs a momentum greater than 0")
                        .hint("e.g. optimizer sgd lr 0.01 momentum 0.9 nesterov").report();
                return null;
            }
            return new TrainConfig.Optimizer(TrainConfig.Optimizer.Kind.SGD, a.real("lr", 0), momentum, a.flag("nesterov"), 0, 0, 0);
        }
        return new TrainConfig.Optimizer(TrainConfig.Optimizer.Kind.ADAM, a.real("lr", 0.001), 0, false,
                a.real("beta1", 0.9), a.real("beta2", 0.999), a.real("eps", 1e-8));
    }

    private List<TrainConfig.Augmentation> augment(Node.Statement s) {
        List<TrainConfig.Augmentation> out = new ArrayList<>();
        List<List<Value>> parts = new ArrayList<>();
        parts.add(new ArrayList<>());
        for (Value v : s.args()) {
            if (v instanceof Value.Comma) {
                parts.add(new ArrayList<>());
            } else {
                parts.get(parts.size() - 1).add(v);
            }
        }
        for (List<Value> part : parts) {
            Args a = choice(s, part, "augmentation", AUGMENTATIONS);
            if (a == null || !a.ok()) {
                continue;
            }
            TrainConfig.Augmentation.Kind kind = TrainConfig.Augmentation.Kind.valueOf(a.shownAs().toUpperCase(Locale.ROOT));
            double amount = switch (kind) {
                case FLIP -> 0;
                case SHIFT -> a.count("pixels", 0);
                case ROTATE -> a.real("degrees", 0);
                case CROP -> a.count("padding", 0);
                case NOISE -> a.real("std", 0);
            };
            out.add(new TrainConfig.Augmentation(kind, amount));
        }
        return out;
    }

    private TrainConfig.Normalization normalize(Node.Statement s, Shape input) {
        Args a = NORMALIZE.read("normalize", s.args(), s.name().span(), diagnostics);
        if (!a.ok()) {
            return null;
        }
        if (!a.has("scale") && !a.has("mean") && !a.has("std") && !a.flag("auto")) {
            a.error(s.name().span(), DiagnosticKind.MISSING_ARGUMENT, "normalize", "scale X, mean M std S, or auto")
                    .hint("usage: " + NORMALIZE.usage()).report();
            return null;
        }
        if (a.has("mean") != a.has("std")) {
            a.error(s.name().span(), DiagnosticKind.INCOMPATIBLE_SETTING, "normalize needs both mean and std")
                    .hint("e.g. normalize mean 0.5 std 0.25").report();
            return null;
        }
        long channels = input == null ? -1 : input.channels();
        for (String key : List.of("mean", "std")) {
            int n = a.reals(key).size();
            if (a.has(key) && n != 1 && input != null && n != channels) {
                a.error(s.name().span(), DiagnosticKind.INCOMPATIBLE_SETTING,
                                "normalize " + key + " has " + n + " values, but the input has " + channels + " channels")
                        .hint("give one value, or one per channel").report();
                return null;
            }
        }
        return new TrainConfig.Normalization(a.has("scale") ? a.real("scale", 1) : null, a.reals("mean"), a.reals("std"), a.flag("auto"));
    }

    private TrainConfig.Schedule schedule(Node.Statement s) {
        Args a = choice(s, s.args(), "schedule", SCHEDULES);
        if (a == null || !a.ok()) {
            return null;
        }
        return a.shownAs().endsWith("cosine")
                ? new TrainConfig.Schedule(TrainConfig.Schedule.Kind.COSINE, 0, 0)
                : new TrainConfig.Schedule(TrainConfig.Schedule.Kind.STEP, a.count("epochs", 1), a.real("gamma", 0.1));
    }
}
