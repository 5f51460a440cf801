package dev.cnnc.runtime.train;

import java.util.Locale;

/**
 * A model's loss and, for classification, accuracy and confusion matrix on a dataset, in
 * inference mode. {@code confusion[true][predicted]} counts examples.
 */
public record Evaluation(double loss, double accuracy, long[][] confusion, int count) {
    /** The confusion matrix as text: one row per true class, one column per predicted class. */
    public String confusionText() {
        if (confusion == null) {
            return "";
        }
        int k = confusion.length;
        long largest = k;
        for (long[] row : confusion) {
            for (long v : row) {
                largest = Math.max(largest, v);
            }
        }
        // columns wide enough for the largest count (a segmentation set counts pixels), at least 6
        String cell = "%" + Math.max(6, Long.toString(largest).length() + 2) + "d";
        StringBuilder b = new StringBuilder("confusion matrix (rows: true class, columns: predicted)\n")
                .append(String.format(Locale.ROOT, cell, 0).replaceAll(".", " "));
        for (int j = 0; j < k; j++) {
            b.append(String.format(Locale.ROOT, cell, j));
        }
        b.append('\n');
        for (int i = 0; i < k; i++) {
            b.append(String.format(Locale.ROOT, cell, i));
            for (int j = 0; j < k; j++) {
                b.append(String.format(Locale.ROOT, cell, confusion[i][j]));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
