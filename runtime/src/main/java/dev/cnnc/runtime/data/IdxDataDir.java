package dev.cnnc.runtime.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A folder in the MNIST layout: train-images*, train-labels*, t10k-images*, t10k-labels*
 * (raw or .gz). Images are [N,H,W] (one channel) or [N,H,W,C] (channels last); they are
 * checked against the model's input and converted to [N][C][H][W]. Labels are one byte an
 * example ([N]), float targets ([N,...], regression), or for a model whose output is HxWxK
 * (segmentation) one byte a pixel ([N,H,W], each a class of K).
 */
public final class IdxDataDir {
    /**
     * What the network expects, and how to normalise: x' = (x * scale - mean[c]) / std[c].
     * {@code classes} is the output's width (a class a value, or K classes a pixel when
     * {@code pixels} > 1: the outputHeight x outputWidth positions of a segmentation model).
     */
    public record Spec(int channels, int height, int width, int classes, float scale, float[] mean, float[] std,
                       int outputHeight, int outputWidth) {
        public Spec(int channels, int height, int width, int classes, float scale, float[] mean, float[] std) {
            this(channels, height, width, classes, scale, mean, std, 1, 1);
        }

        /** The positions labelled in each example: 1, or outputHeight x outputWidth for segmentation. */
        public int pixels() {
            return outputHeight * outputWidth;
        }

        /** mean and std hold one value for every channel, or one for all. */
        public float mean(int channel) {
            return mean.length == 0 ? 0 : mean[mean.length == 1 ? 0 : channel];
        }

        public float std(int channel) {
            return std.length == 0 ? 1 : std[std.length == 1 ? 0 : channel];
        }

        /** A raw pixel value of a channel, normalised. */
        public float normalise(float pixel, int channel) {
            return (pixel * scale - mean(channel)) / std(channel);
        }
    }

    private IdxDataDir() {
    }

    public static Dataset train(Path dir, Spec spec) throws IOException, Idx.BadFile {
        return load(dir, "train", spec);
    }

    /** The test split, or null when the folder has none. */
    public static Dataset test(Path dir, Spec spec) throws IOException, Idx.BadFile {
        return find(dir, "t10k-images") == null ? null : load(dir, "t10k", spec);
    }

    static Dataset load(Path dir, String prefix, Spec spec) throws IOException, Idx.BadFile {
        Path imagesFile = find(dir, prefix + "-images");
        Path labelsFile = find(dir, prefix + "-labels");
        if (imagesFile == null || labelsFile == null) {
            throw new Idx.BadFile(dir + ": no " + prefix + "-images and " + prefix + "-labels IDX files (raw or .gz) in this folder");
        }
        Idx.Array images = Idx.read(imagesFile);
        Idx.Array labels = Idx.read(labelsFile);
        int[] d = images.dims();
        int h;
        int w;
        int c;
        if (d.length == 3) {
            h = d[1];
            w = d[2];
            c = 1;
        } else if (d.length == 4) {
            h = d[1];
            w = d[2];
            c = d[3];
        } else {
            throw new Idx.BadFile(imagesFile + ": images must be [N,H,W] or [N,H,W,C], but the file has " + d.length + " dimensions");
        }
        if (h != spec.height() || w != spec.width() || c != spec.channels()) {
            throw new Idx.BadFile(imagesFile + ": images are " + h + "x" + w + "x" + c + ", but the model's input is "
                    + spec.height() + "x" + spec.width() + "x" + spec.channels());
        }
        if (labels.count() != images.count()) {
            throw new Idx.BadFile(labelsFile + ": " + labels.count() + " labels for " + images.count() + " images in " + imagesFile.getFileName());
        }
        int n = images.count();
        int[] y = null;
        float[] targets = null;
        if (labels.floats()) {
            // float labels: regression targets, one row of the model's output per example
            if (labels.exampleSize() != spec.classes()) {
                throw new Idx.BadFile(labelsFile + ": " + labels.exampleSize() + " target values per example, but the model has "
                        + spec.classes() + " outputs");
            }
            targets = labels.values();
        } else if (spec.pixels() > 1) {
            int[] ld = labels.dims();
            if (ld.length != 3 || ld[1] != spec.outputHeight() || ld[2] != spec.outputWidth()) {
                throw new Idx.BadFile(labelsFile + ": the model's output is a class for each of " + spec.outputHeight() + "x"
                        + spec.outputWidth() + " pixels, so the labels must be masks [N," + spec.outputHeight() + "," + spec.outputWidth()
                        + "], one byte a pixel, but the file is " + java.util.Arrays.toString(ld));
            }
            y = new int[n * spec.pixels()];
        } else if (labels.dims().length != 1) {
            throw new Idx.BadFile(labelsFile + ": class labels must be one byte per example ([N]), but the file is "
                    + java.util.Arrays.toString(labels.dims()));
        } else {
            y = new int[n];
        }
        for (int i = 0; y != null && i < y.length; i++) {
            float v = labels.values()[i];
            if (v < 0 || v >= spec.classes() || v != Math.rint(v)) {
                String where = spec.pixels() > 1 ? "pixel " + i % spec.pixels() + " of example " + i / spec.pixels() : "example " + i;
                throw new Idx.BadFile(labelsFile + ": label " + v + " of " + where + " is not a class of this model (0 to "
                        + (spec.classes() - 1) + ")");
            }
            y[i] = (int) v;
        }
        int plane = h * w;
        int size = c * plane;
        float[] x = new float[n * size];
        float[] src = images.values();
        for (int e = 0; e < n; e++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
                    // channels last in the file ([H][W][C]) to channels first ([C][H][W])
                    x[e * size + ch * plane + p] = spec.normalise(src[e * size + p * c + ch], ch);
                }
            }
        }
        return new Dataset(prefix, x, y, targets, targets == null ? 0 : spec.classes(), n, size, targets == null ? spec.pixels() : 1);
    }

    /** The first file (by name) in dir whose name starts with prefix, raw or .gz, or null. */
    public static Path find(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a folder");
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*")) {
            files.forEach(found::add);
        }
        found.sort(null);
        return found.isEmpty() ? null : found.get(0);
    }
}
