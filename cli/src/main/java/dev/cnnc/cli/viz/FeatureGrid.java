package dev.cnnc.cli.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The activation maps an image produces, a labelled band per layer: one grey tile per channel
 * (up to 16 a row), each map normalised on its own (its lowest value black, its highest white)
 * and scaled up by whole pixels to about 64 pixels across.
 */
public final class FeatureGrid {
    /** One layer's maps: [channels][height][width]. */
    public record Layer(String label, float[] maps, int channels, int height, int width) {
    }

    public static final int LEFT = 8, LABEL = 26, GAP = 3, PER_ROW = 16;

    private FeatureGrid() {
    }

    public static int scale(int height, int width) {
        return Math.max(1, 64 / Math.max(height, width));
    }

    /** The top-left pixel of channel c's tile in the band that starts at {@code bandTop}. */
    public static int[] origin(Layer l, int c, int bandTop) {
        int s = scale(l.height(), l.width());
        return new int[] {LEFT + c % PER_ROW * (l.width() * s + GAP), bandTop + LABEL + c / PER_ROW * (l.height() * s + GAP)};
    }

    /** A band's height: its label and its rows of tiles. */
    public static int bandHeight(Layer l) {
        int s = scale(l.height(), l.width());
        return LABEL + (l.channels() + PER_ROW - 1) / PER_ROW * (l.height() * s + GAP) + 8;
    }

    public static BufferedImage draw(List<Layer> layers) {
        int width = 420, height = 0;
        for (Layer l : layers) {
            int s = scale(l.height(), l.width());
            width = Math.max(width, LEFT + Math.min(l.channels(), PER_ROW) * (l.width() * s + GAP) + LEFT);
            height += bandHeight(l);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(0xe8, 0xe8, 0xf0));
        g.fillRect(0, 0, width, height);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        int top = 0;
        for (Layer l : layers) {
            g.setColor(Color.BLACK);
            g.drawString(l.label(), LEFT, top + 18);
            int s = scale(l.height(), l.width()), plane = l.height() * l.width();
            for (int c = 0; c < l.channels(); c++) {
                float[] range = Tiles.range(l.maps(), c * plane, plane);
                int[] o = origin(l, c, top);
                for (int y = 0; y < l.height(); y++) {
                    for (int x = 0; x < l.width(); x++) {
                        Tiles.block(image, o[0] + x * s, o[1] + y * s, s, Tiles.grey(Tiles.level(l.maps()[c * plane + y * l.width() + x], range)));
                    }
                }
            }
            top += bandHeight(l);
        }
        g.dispose();
        return image;
    }
}
