package dev.cnnc.runtime.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Per-epoch metrics of a run, written as metrics.csv and metrics.json in the run folder (atomically, after every epoch). */
public final class Metrics {
    /** One epoch; NaN where a value does not apply (no validation, regression). */
    public record Epoch(int epoch, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy, double learningRate,
                        double seconds, double imagesPerSecond) {
    }

    private final Path dir;
    private final String model;
    private final List<Epoch> epochs = new ArrayList<>();
    private Evaluation test;

    public Metrics(Path dir, String model) {
        this.dir = dir;
        this.model = model;
    }

    /**
     * Metrics of a resumed run: the epochs before {@code firstEpoch} that the run folder's
     * metrics.csv already holds are kept (a partial row of the epoch being resumed is dropped and
     * written again whole), so the folder ends with the history of the whole run.
     */
    public static Metrics continuing(Path dir, String model, int firstEpoch) throws IOException {
        Metrics m = new Metrics(dir, model);
        Path csv = dir.resolve("metrics.csv");
        if (!Files.exists(csv)) {
            return m;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length != 8) {
                throw new IOException(csv + ": not a cnnc metrics file (a row has " + f.length + " fields, not 8)");
            }
            try {
                int epoch = Integer.parseInt(f[0]);
                if (epoch < firstEpoch) {
                    m.epochs.add(new Epoch(epoch, parse(f[1]), parse(f[2]), parse(f[3]), parse(f[4]), parse(f[5]), parse(f[6]), parse(f[7])));
                }
            } catch (NumberFormatException e) {
                throw new IOException(csv + ": not a cnnc metrics file (" + line + ")");
            }
        }
        return m;
    }

    private static double parse(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }

    /** The epochs recorded so far. */
    public List<Epoch> epochs() {
        return List.copyOf(epochs);
    }

    public void add(Epoch e) throws IOException {
        epochs.add(e);
        write();
    }

    public void test(Evaluation evaluation) throws IOException {
        test = evaluation;
        write();
    }

    private void write() throws IOException {
        if (dir == null) {
            return;
        }
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,images_per_second\n");
        StringBuilder json = new StringBuilder("{\n  \"model\": \"" + model + "\",\n  \"epochs\": [");
        for (int i = 0; i < epochs.size(); i++) {
            Epoch e = epochs.get(i);
            csv.append(String.format(Locale.ROOT, "%d,%s,%s,%s,%s,%s,%.3f,%.1f%n", e.epoch(), num(e.trainLoss()), num(e.trainAccuracy()),
                    num(e.valLoss()), num(e.valAccuracy()), num(e.learningRate()), e.seconds(), e.imagesPerSecond()));
            json.append(i == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"epoch\": %d, \"train_loss\": %s, \"train_accuracy\": %s, \"val_loss\": %s, \"val_accuracy\": %s, "
                            + "\"learning_rate\": %s, \"seconds\": %.3f, \"images_per_second\": %.1f}",
                    e.epoch(), jnum(e.trainLoss()), jnum(e.trainAccuracy()), jnum(e.valLoss()), jnum(e.valAccuracy()), jnum(e.learningRate()),
                    e.seconds(), e.imagesPerSecond()));
        }
        json.append(epochs.isEmpty() ? "]" : "\n  ]");
        if (test != null) {
            json.append(String.format(Locale.ROOT, ",\n  \"test\": {\"loss\": %s, \"accuracy\": %s, \"count\": %d", jnum(test.loss()),
                    jnum(test.accuracy()), test.count()));
            if (test.confusion() != null) {
                json.append(", \"confusion\": [");
                for (int i = 0; i < test.confusion().length; i++) {
                    json.append(i == 0 ? "" : ", ").append(java.util.Arrays.toString(test.confusion()[i]));
                }
                json.append("]");
            }
            json.append("}");
        }
        json.append("\n}\n");
        replace(dir.resolve("metrics.csv"), csv.toString());
        replace(dir.resolve("metrics.json"), json.toString());
    }

    private static void replace(Path file, String text) throws IOException {
        dev.cnnc.runtime.io.AtomicFiles.write(file, text);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    private static String jnum(double v) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.6g", v);
    }
}
