package dev.cnnc.cli.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * A conv layer's filters as a grid: a row per filter, a tile per input channel in grey (or, for a
 * layer reading 3 channels, one colour tile per filter, its channels as red, green and blue; a
 * filter of one tile, colour or a single channel, sits in rows of 8 filters, numbered by the
 * row's first),
 * each filter normalised on its own (its smallest weight black, its largest white) and scaled up
 * by whole pixels, nearest neighbour, so that a 3x3 filter is visible. Weights are torch's
 * [F][C][kh][kw].
 */
public final class FilterGrid {
    /** Around the grid: a title above, filter numbers to the left. */
    public static final int TOP = 36, LEFT = 44, GAP = 3;

    private FilterGrid() {
    }

    /** Pixels a weight takes: tiles about 48 pixels across, at least 2 a weight. */
    public static int scale(int kh, int kw) {
        return Math.max(2, 48 / Math.max(kh, kw));
    }

    /** Whether the grid draws each filter as one colour tile (3 input channels). */
    public static boolean rgb(int channels) {
        return channels == 3;
    }

    /** Filters in a row of the grid: 8 when each is one tile, else 1 (its channels fill the row). */
    public static int perRow(int channels) {
        return rgb(channels) || channels == 1 ? 8 : 1;
    }

    /** The top-left pixel of filter f's tile for channel c (c 0 for a colour tile). */
    public static int[] origin(int f, int c, int channels, int kh, int kw) {
        int s = scale(kh, kw), per = perRow(channels);
        int column = per == 1 ? c : f % per, row = f / per;
        return new int[] {LEFT + column * (kw * s + GAP), TOP + row * (kh * s + GAP)};
    }

    public static BufferedImage draw(String title, float[] w, int filters, int channels, int kh, int kw) {
        int s = scale(kh, kw);
        int tiles = rgb(channels) ? 1 : channels;
        int columns = perRow(channels) == 1 ? tiles : Math.min(filters, perRow(channels));
        int rows = (filters + perRow(channels) - 1) / perRow(channels);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 14);
        int titleWidth = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics().getFontMetrics(titleFont).stringWidth(title);
        int width = Math.max(LEFT + columns * (kw * s + GAP) + 10, titleWidth + 12);
        int height = TOP + rows * (kh * s + GAP) + 10;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(0xe8, 0xe8, 0xf0));
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        g.drawString(title, 6, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        int per = channels * kh * kw;
        for (int f = 0; f < filters; f++) {
            float[] range = Tiles.range(w, f * per, per);
            int[] o0 = origin(f, 0, channels, kh, kw);
            if (f % perRow(channels) == 0) {
                g.setColor(Color.BLACK);
                g.drawString(Integer.toString(f), 6, o0[1] + kh * s / 2 + 5);
            }
            for (int c = 0; c < tiles; c++) {
                int[] o = origin(f, c, channels, kh, kw);
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int rgb;
                        if (rgb(channels)) {
                            int r = Tiles.level(w[f * per + (0 * kh + i) * kw + j], range);
                            int gr = Tiles.level(w[f * per + (kh + i) * kw + j], range);
                            int b = Tiles.level(w[f * per + (2 * kh + i) * kw + j], range);
                            rgb = (r << 16) | (gr << 8) | b;
                        } else {
                            rgb = Tiles.grey(Tiles.level(w[f * per + (c * kh + i) * kw + j], range));
                        }
                        Tiles.block(image, o[0] + j * s, o[1] + i * s, s, rgb);
                    }
                }
            }
        }
        g.dispose();
        return image;
    }
}
