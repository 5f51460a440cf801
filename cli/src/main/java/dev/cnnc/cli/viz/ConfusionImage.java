package dev.cnnc.cli.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * confusion.png: the confusion matrix as a heat map, a row per true class and a column per
 * predicted one, each cell shaded by its share of the row (so a rare class reads as clearly as a
 * common one) and labelled with its count.
 */
public final class ConfusionImage {
    private ConfusionImage() {
    }

    /** {@code names}: the classes' names (or their numbers). */
    public static BufferedImage draw(String title, long[][] confusion, List<String> names) {
        int k = confusion.length;
        int cell = Math.max(28, Math.min(64, 640 / Math.max(1, k)));
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(14, cell / 3)));
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        FontMetrics fm = probe.createGraphics().getFontMetrics(font);
        int label = 0;
        for (String n : names) {
            label = Math.max(label, fm.stringWidth(n));
        }
        int left = label + 60, top = 70, width = left + k * cell + 30, height = top + k * cell + label + 60;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 10, 24);
        g.setFont(font);
        g.drawString("predicted class", left + k * cell / 2 - fm.stringWidth("predicted class") / 2, height - 12);
        Graphics2D v = (Graphics2D) g.create();
        v.rotate(-Math.PI / 2);
        v.drawString("true class", -(top + k * cell / 2 + fm.stringWidth("true class") / 2), 18);
        v.dispose();
        for (int i = 0; i < k; i++) {
            long row = 0;
            for (long c : confusion[i]) {
                row += c;
            }
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), left - 8 - fm.stringWidth(names.get(i)), top + i * cell + cell / 2 + fm.getAscent() / 2);
            for (int j = 0; j < k; j++) {
                double share = row == 0 ? 0 : confusion[i][j] / (double) row;
                // white to dark blue by the share of the row
                Color shade = new Color((int) (255 - 247 * share), (int) (255 - 207 * share), (int) (255 - 148 * share));
                g.setColor(shade);
                g.fillRect(left + j * cell, top + i * cell, cell, cell);
                g.setColor(Color.GRAY);
                g.drawRect(left + j * cell, top + i * cell, cell, cell);
                String count = Long.toString(confusion[i][j]);
                if (fm.stringWidth(count) < cell - 2) {
                    g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                    g.drawString(count, left + j * cell + (cell - fm.stringWidth(count)) / 2, top + i * cell + cell / 2 + fm.getAscent() / 2);
                }
            }
        }
        for (int j = 0; j < k; j++) {
            Graphics2D r = (Graphics2D) g.create();
            r.setColor(Color.BLACK);
            r.translate(left + j * cell + cell / 2 + fm.getAscent() / 2, top + k * cell + 8);
            r.rotate(Math.PI / 2);
            r.drawString(names.get(j), 0, 0);
            r.dispose();
        }
        g.dispose();
        return image;
    }
}
