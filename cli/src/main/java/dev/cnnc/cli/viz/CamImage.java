package dev.cnnc.cli.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Grad-CAM's picture: the input, the heatmap over it (jet colours, half transparent, over the
 * image in grey) and the saliency map, side by side, each scaled up by whole pixels to about 224
 * across, under a title naming the class explained.
 */
public final class CamImage {
    public static final int MARGIN = 10, TITLE = 30, CAPTION = 22;

    private CamImage() {
    }

    /** {@code pixels}: the input as read, [channels][height][width] (1 or 3 channels); cam and saliency [height][width]. */
    public static BufferedImage draw(String title, float[] pixels, int channels, int height, int width, float[] cam, float[] saliency) {
        int s = scale(height, width), pw = width * s, ph = height * s;
        int w = Math.max(3 * pw + 4 * MARGIN, 560), h = TITLE + CAPTION + ph + MARGIN;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, MARGIN, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        String[] captions = {"input", "Grad-CAM", "saliency |d score / d input|"};
        for (int p = 0; p < 3; p++) {
            g.drawString(captions[p], left(p, pw), TITLE + 15);
        }
        g.dispose();
        float[] imageRange = Tiles.range(pixels, 0, pixels.length), camRange = Tiles.range(cam, 0, cam.length);
        float[] salRange = Tiles.range(saliency, 0, saliency.length);
        int plane = height * width, top = TITLE + CAPTION;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                int rgb = channels == 3 ? Tiles.level(pixels[i], imageRange) << 16 | Tiles.level(pixels[plane + i], imageRange) << 8
                        | Tiles.level(pixels[2 * plane + i], imageRange) : Tiles.grey(Tiles.level(pixels[i], imageRange));
                int grey = channels == 3 ? luma(rgb) : Tiles.level(pixels[i], imageRange);
                Tiles.block(image, left(0, pw) + x * s, top + y * s, s, rgb);
                Tiles.block(image, left(1, pw) + x * s, top + y * s, s, blend(jet(Tiles.level(cam[i], camRange)), Tiles.grey(grey)));
                Tiles.block(image, left(2, pw) + x * s, top + y * s, s, hot(Tiles.level(saliency[i], salRange)));
            }
        }
        return image;
    }

    static int scale(int height, int width) {
        return Math.max(1, 224 / Math.max(height, width));
    }

    /** The left edge of panel p. */
    public static int left(int panel, int panelWidth) {
        return MARGIN + panel * (panelWidth + MARGIN);
    }

    private static int luma(int rgb) {
        return (int) Math.round(0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff));
    }

    /** Half of each. */
    private static int blend(int a, int b) {
        return ((a >> 16 & 0xff) + (b >> 16 & 0xff)) / 2 << 16 | ((a >> 8 & 0xff) + (b >> 8 & 0xff)) / 2 << 8 | ((a & 0xff) + (b & 0xff)) / 2;
    }

    /** The jet colour map: 0 dark blue, through cyan, yellow, to 255 dark red. */
    static int jet(int level) {
        double v = level / 255.0;
        return channel(1.5 - Math.abs(4 * v - 3)) << 16 | channel(1.5 - Math.abs(4 * v - 2)) << 8 | channel(1.5 - Math.abs(4 * v - 1));
    }

    /** Black, red, yellow, white. */
    static int hot(int level) {
        double v = level / 255.0;
        return channel(3 * v) << 16 | channel(3 * v - 1) << 8 | channel(3 * v - 2);
    }

    private static int channel(double v) {
        return (int) Math.round(255 * Math.max(0, Math.min(1, v)));
    }
}
