package dev.cnnc.runtime.data;

/**
 * Examples ready for a network: {@code images} is [count][C][H][W] (PyTorch's order), already
 * normalised. Classification data has {@code labels} (class indices); regression data has
 * {@code targets} ([count][targetWidth]) instead.
 */
public record Dataset(String name, float[] images, int[] labels, float[] targets, int targetWidth, int count, int exampleSize) {
    public boolean regression() {
        return targets != null;
    }

    /** Copies examples {@code order[from..from+n)} into {@code x}, their labels into {@code y} or targets into {@code t}. */
    public void gather(int[] order, int from, int n, float[] x, int[] y, float[] t) {
        for (int i = 0; i < n; i++) {
            int e = order[from + i];
            System.arraycopy(images, e * exampleSize, x, i * exampleSize, exampleSize);
            if (targets != null) {
                System.arraycopy(targets, e * targetWidth, t, i * targetWidth, targetWidth);
            } else {
                y[i] = labels[e];
            }
        }
    }
}
