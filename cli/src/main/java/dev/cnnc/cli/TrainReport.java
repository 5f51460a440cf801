package dev.cnnc.cli;

import dev.cnnc.cli.viz.RunCharts;
import dev.cnnc.cli.viz.RunReport;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.train.Augmenter;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What goes into a run's report.html beyond the charts: the first misclassified images of the
 * test (or validation) set, found by running the trained network over it, and one training image
 * under the run's augmentation.
 */
final class TrainReport {
    static final int MISCLASSIFIED = 32, AUGMENTED = 11;

    private TrainReport() {
    }

    static RunReport build(String title, String summary, List<String[]> settings, String source, RunCharts charts, Network net,
                           Dataset train, Dataset shown, String shownName, Augmenter augmenter, String augmentation, int channels, int height, int width) {
        long[][] confusion = charts.test() != null ? charts.test().confusion() : null;
        int classes = confusion != null ? confusion.length : net.outputSize();
        List<String> names = charts.classNames(classes);
        boolean classify = shown != null && !shown.regression() && !shown.segmentation();
        List<RunReport.Example> wrong = classify ? misclassified(net, shown, names, channels, height, width) : List.of();
        List<RunReport.Example> augmented = new ArrayList<>();
        String note;
        if (augmenter == null) {
            note = "This run used no augmentation.";
        } else if (train.count() == 0) {
            note = "No training image to show.";
        } else {
            note = "The first training image as it is, then " + (AUGMENTED - 1) + " copies of it through the run's augmentation (" + augmentation + ").";
            int size = train.exampleSize();
            float[] batch = new float[size * (AUGMENTED - 1)];
            for (int i = 0; i < AUGMENTED - 1; i++) {
                System.arraycopy(train.images(), 0, batch, i * size, size);
            }
            augmented.add(new RunReport.Example(tile(train.images(), 0, channels, height, width), "as it is"));
            augmenter.apply(batch, AUGMENTED - 1, 0); // each copy is an example of its own in one batch: each gets its own draws
            for (int i = 0; i < AUGMENTED - 1; i++) {
                augmented.add(new RunReport.Example(tile(batch, i * size, channels, height, width), "draw " + (i + 1)));
            }
        }
        return new RunReport(title, summary, settings, source, charts.curvesImage(), charts.confusionImage(), confusion, names,
                shownName, wrong, augmented, note);
    }

    /** Up to {@link #MISCLASSIFIED} examples the network gets wrong, in the order of the set, captioned with truth and prediction. */
    private static List<RunReport.Example> misclassified(Network net, Dataset set, List<String> names, int channels, int height, int width) {
        List<RunReport.Example> out = new ArrayList<>();
        int batch = net.maxBatch(), k = net.outputSize(), size = set.exampleSize();
        int[] order = new int[set.count()];
        Arrays.setAll(order, i -> i);
        float[] x = new float[batch * size];
        int[] y = new int[batch];
        for (int from = 0; from < set.count() && out.size() < MISCLASSIFIED; from += batch) {
            int n = Math.min(batch, set.count() - from);
            set.gather(order, from, n, x, y, null);
            net.forward(x, n, false);
            float[] o = net.output();
            for (int b = 0; b < n && out.size() < MISCLASSIFIED; b++) {
                float[] p = probabilities(o, b * k, k, net.endsWithSoftmax());
                int best = 0;
                for (int c = 1; c < k; c++) {
                    if (p[c] > p[best]) {
                        best = c;
                    }
                }
                if (best != y[b]) {
                    out.add(new RunReport.Example(tile(x, b * size, channels, height, width), String.format(Locale.ROOT,
                            "#%d: %s, taken for %s (%.2f)", from + b, names.get(y[b]), names.get(best), p[best])));
                }
            }
        }
        return out;
    }

    private static float[] probabilities(float[] o, int from, int k, boolean already) {
        float[] p = Arrays.copyOfRange(o, from, from + k);
        if (already) {
            return p;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (float v : p) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            p[c] = (float) Math.exp(p[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < k; c++) {
            p[c] /= (float) sum;
        }
        return p;
    }

    /** A normalised example as a picture: its lowest value black and its highest white, scaled up to about 96 pixels. */
    static BufferedImage tile(float[] images, int from, int channels, int height, int width) {
        int plane = height * width, s = Math.max(1, 96 / Math.max(height, width));
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + channels * plane; i++) {
            lo = Math.min(lo, images[i]);
            hi = Math.max(hi, images[i]);
        }
        float range = hi > lo ? hi - lo : 1;
        BufferedImage out = new BufferedImage(width * s, height * s, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height * s; y++) {
            for (int x = 0; x < width * s; x++) {
                int i = from + y / s * width + x / s, rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int v = Math.round((images[i + (channels == 3 ? c * plane : 0)] - lo) / range * 255);
                    rgb = rgb << 8 | Math.max(0, Math.min(255, v));
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }
}
