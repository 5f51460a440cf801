package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictCommandTest {
    @Test
    void predictsDataAndImages(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("tiny.cnn");
        Files.writeString(cnn, BackendCommandsTest.TINY);
        Path data = Files.createDirectories(dir.resolve("data"));
        BackendCommandsTest.writeLearnableIdx(data, 512);
        Path w = dir.resolve("w.safetensors");
        assertEquals(0, CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "4", "--save", w.toString(),
                "--run-dir", dir.resolve("run").toString()).exit());

        CheckCommandTest.Run onData = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--data", data.toString());
        assertEquals(0, onData.exit(), onData.err());
        Matcher m = Pattern.compile("accuracy ([0-9.]+)").matcher(onData.out());
        assertTrue(m.find() && Double.parseDouble(m.group(1)) > 0.9, onData.out());

        // 16x16 PNGs (resized to the model's 8x8): the bright quarter is the class
        String[] files = new String[3];
        for (int cls = 0; cls < 3; cls++) {
            BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    int region = y < 8 ? (x < 8 ? 0 : 1) : 2;
                    int v = region == cls ? 220 : 20;
                    image.setRGB(x, y, (v << 16) | (v << 8) | v);
                }
            }
            Path png = dir.resolve("class" + cls + ".png");
            ImageIO.write(image, "png", png.toFile());
            files[cls] = png.toString();
        }
        Path names = dir.resolve("names.txt");
        Files.writeString(names, "top-left\ntop-right\nbottom\n");
        CheckCommandTest.Run onImages = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--top", "2", "--classes",
                names.toString(), "--image", files[0], files[1], files[2]);
        assertEquals(0, onImages.exit(), onImages.err());
        assertTrue(onImages.out().contains(files[0] + ": top-left ("), onImages.out());
        assertTrue(onImages.out().contains(files[1] + ": top-right ("), onImages.out());
        assertTrue(onImages.out().contains(files[2] + ": bottom ("), onImages.out());

        Path broken = dir.resolve("broken.png");
        Files.write(broken, new byte[] {1, 2, 3});
        CheckCommandTest.Run bad = CheckCommandTest.run("predict", cnn.toString(), "--weights", w.toString(), "--image", broken.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains(broken + ": not an image"), bad.err());
        assertEquals(2, CheckCommandTest.run("predict", cnn.toString(), "--image", files[0]).exit(), "--weights is required");
    }
}
