package dev.cnnc.runtime.data;

/**
 * Examples ready for a network: {@code images} is [count][C][H][W] (PyTorch's order), already
 * normalised; {@code labels} are class indices.
 */
public record Dataset(String name, float[] images, int[] labels, int count, int exampleSize) {
    /** Copies examples {@code order[from..from+n)} into {@code x} and their labels into {@code y}. */
    public void gather(int[] order, int from, int n, float[] x, int[] y) {
        for (int i = 0; i < n; i++) {
            int e = order[from + i];
            System.arraycopy(images, e * exampleSize, x, i * exampleSize, exampleSize);
            y[i] = labels[e];
        }
    }
}
