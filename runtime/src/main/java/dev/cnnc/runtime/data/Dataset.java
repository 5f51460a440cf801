package dev.cnnc.runtime.data;

/**
 * Examples ready for a network: {@code images} is [count][C][H][W] (PyTorch's order), already
 * normalised. Classification data has {@code labels} (class indices): one an example, or for
 * segmentation {@code labelWidth} an example (one a pixel of the model's HxWxK output, [H][W]);
 * regression data has {@code targets} ([count][targetWidth]) instead.
 */
public record Dataset(String name, float[] images, int[] labels, float[] targets, int targetWidth, int count, int exampleSize,
                      int labelWidth) {
    /** One label an example (classification) or none (regression). */
    public Dataset(String name, float[] images, int[] labels, float[] targets, int targetWidth, int count, int exampleSize) {
        this(name, images, labels, targets, targetWidth, count, exampleSize, 1);
    }

    public boolean regression() {
        return targets != null;
    }

    /** Whether every example has a class a pixel (per-pixel labels). */
    public boolean segmentation() {
        return labelWidth > 1;
    }

    /** Copies examples {@code order[from..from+n)} into {@code x}, their labels into {@code y} or targets into {@code t}. */
    public void gather(int[] order, int from, int n, float[] x, int[] y, float[] t) {
        for (int i = 0; i < n; i++) {
            int e = order[from + i];
            System.arraycopy(images, e * exampleSize, x, i * exampleSize, exampleSize);
            if (targets != null) {
                System.arraycopy(targets, e * targetWidth, t, i * targetWidth, targetWidth);
            } else {
                System.arraycopy(labels, e * labelWidth, y, i * labelWidth, labelWidth);
            }
        }
    }

    /**
     * Splits off a seeded random {@code fraction} of the examples for validation: the first
     * dataset trains, the second validates. The same seed gives the same split.
     */
    public Dataset[] split(double fraction, long seed) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        dev.cnnc.runtime.train.Rng rng = new dev.cnnc.runtime.train.Rng(seed ^ 0x5DEECE66DL);
        for (int i = count - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int validation = (int) Math.round(count * fraction);
        return new Dataset[] {subset(name, order, 0, count - validation), subset("validation", order, count - validation, count)};
    }

    private Dataset subset(String subsetName, int[] order, int from, int to) {
        int n = to - from;
        float[] x = new float[n * exampleSize];
        int[] y = labels == null ? null : new int[n * labelWidth];
        float[] t = targets == null ? null : new float[n * targetWidth];
        gather(order, from, n, x, y == null ? new int[n] : y, t);
        return new Dataset(subsetName, x, y, t, targetWidth, n, exampleSize, labelWidth);
    }

    /** Per-channel mean and standard deviation of the images: {mean[C], std[C]} (population std, as torchvision recipes compute it). */
    public float[][] channelStatistics(int channels) {
        int plane = exampleSize / channels;
        double[] sum = new double[channels];
        double[] sq = new double[channels];
        for (int e = 0; e < count; e++) {
            for (int c = 0; c < channels; c++) {
                int base = e * exampleSize + c * plane;
                for (int p = 0; p < plane; p++) {
                    double v = images[base + p];
                    sum[c] += v;
                    sq[c] += v * v;
                }
            }
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        double n = (double) count * plane;
        for (int c = 0; c < channels; c++) {
            mean[c] = (float) (sum[c] / n);
            std[c] = (float) Math.sqrt(Math.max(sq[c] / n - (sum[c] / n) * (sum[c] / n), 1e-12));
        }
        return new float[][] {mean, std};
    }

    /** x' = (x - mean[c]) / std[c], in place. */
    public void standardise(float[] mean, float[] std) {
        int channels = mean.length;
        int plane = exampleSize / channels;
        for (int e = 0; e < count; e++) {
            for (int c = 0; c < channels; c++) {
                int base = e * exampleSize + c * plane;
                for (int p = 0; p < plane; p++) {
                    images[base + p] = (images[base + p] - mean[c]) / std[c];
                }
            }
        }
    }
}
