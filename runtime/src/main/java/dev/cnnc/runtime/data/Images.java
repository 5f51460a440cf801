package dev.cnnc.runtime.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Image files (PNG, JPEG, whatever ImageIO reads) as a model's input: resized, grey or RGB, pixel values 0..255, [C][H][W]. */
public final class Images {
    private Images() {
    }

    public static float[] read(Path file, int channels, int height, int width) throws IOException, Idx.BadFile {
        if (!Files.isRegularFile(file)) {
            throw new Idx.BadFile(file + ": no such image file");
        }
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new Idx.BadFile(file + ": not an image ImageIO can read (PNG, JPEG, GIF, BMP)");
        }
        if (channels != 1 && channels != 3) {
            throw new Idx.BadFile(file + ": images can feed models with 1 or 3 input channels, this one has " + channels);
        }
        BufferedImage scaled = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, width, height, null);
        g.dispose();
        float[] out = new float[channels * height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = scaled.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int gr = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (channels == 1) {
                    out[y * width + x] = (float) (0.299 * r + 0.587 * gr + 0.114 * b);
                } else {
                    out[y * width + x] = r;
                    out[height * width + y * width + x] = gr;
                    out[2 * height * width + y * width + x] = b;
                }
            }
        }
        return out;
    }
}
