package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-10 binary batches and image folders, and what happens when they are broken. */
class DataFormatsTest {
    /** Records whose class is the brightest colour plane: learnable. */
    static byte[] cifarRecords(int count, Random r) {
        byte[] out = new byte[count * 3073];
        for (int e = 0; e < count; e++) {
            int cls = r.nextInt(3);
            out[e * 3073] = (byte) cls;
            for (int i = 0; i < 3072; i++) {
                out[e * 3073 + 1 + i] = (byte) (i / 1024 == cls ? 150 + r.nextInt(100) : r.nextInt(80));
            }
        }
        return out;
    }

    @Test
    void cifarBatchesTrain(@TempDir Path dir) throws Exception {
        Random r = new Random(1);
        Path data = Files.createDirectories(dir.resolve("cifar"));
        Files.write(data.resolve("data_batch_1.bin"), cifarRecords(96, r));
        Files.write(data.resolve("data_batch_2.bin"), cifarRecords(96, r));
        Files.write(data.resolve("test_batch.bin"), cifarRecords(60, r));
        Path cnn = dir.resolve("c.cnn");
        Files.writeString(cnn, "model C\ninput 32x32x3\nconv 8 3x3 stride 2; leakyrelu 0.1\nglobalavgpool; flatten\ndense 10\n"
                + "train { loss cross_entropy; optimizer adam lr 0.02; batch 32; normalize scale 1/255 }\n");
        CheckCommandTest.Run ok = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString(), "--epochs", "8", "--run-dir",
                dir.resolve("run").toString());
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(ok.out().contains("(CIFAR-10 binary): 192 examples (test: 60)"), ok.out());
        // the class is the bright plane: learnable to near 1 (measured 1.0 in 8 epochs); chance is 0.33
        assertTrue(DataLocatorTest.testAccuracy(ok.out()) >= 0.9, ok.out());

        Files.write(data.resolve("data_batch_2.bin"), new byte[3073 + 17]);
        CheckCommandTest.Run truncated = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString());
        assertEquals(1, truncated.exit());
        assertTrue(truncated.err().contains("data_batch_2.bin: truncated: 3090 bytes"), truncated.err());
        byte[] bad = cifarRecords(2, r);
        bad[3073] = 12;
        Files.write(data.resolve("data_batch_2.bin"), bad);
        CheckCommandTest.Run label = CheckCommandTest.run("train", cnn.toString(), "--data", data.toString());
        assertEquals(1, label.exit());
        assertTrue(label.err().contains("label 12 of record 1 is not a class of this model (0 to 9)"), label.err());
    }

    /** CIFAR-10 records are R, G, B planes of 32x32: each lands in its own channel, in order, scaled as the file says. */
    @Test
    void cifarPlanesArriveAsRedGreenBlue(@TempDir Path dir) throws Exception {
        byte[] record = new byte[3073];
        record[0] = 7;
        for (int i = 0; i < 3072; i++) {
            int plane = i / 1024;
            record[1 + i] = (byte) (plane * 80 + (i % 1024) % 61); // R 0-60, G 80-140, B 160-220, varying within the plane
        }
        Path data = Files.createDirectories(dir.resolve("cifar"));
        Files.write(data.resolve("data_batch_1.bin"), record);
        dev.cnnc.runtime.data.DataSets.Split split = dev.cnnc.runtime.data.DataSets.load(data,
                new dev.cnnc.runtime.data.IdxDataDir.Spec(3, 32, 32, 10, 1f / 255, new float[0], new float[0]));
        float[] x = new float[3072];
        int[] y = new int[1];
        split.train().gather(new int[] {0}, 0, 1, x, y, new float[10]);
        assertEquals(7, y[0]);
        for (int i = 0; i < 3072; i++) {
            // the Network's input order is [C][H][W]: channel c at c * 1024 holds plane c of the record
            assertEquals((record[1 + i] & 0xff) / 255f, x[i], 1e-7f, "value " + i + " (channel " + i / 1024 + ")");
        }
    }

    @Test
    void imageFoldersTrainWithClassesInNameOrder(@TempDir Path dir) throws Exception {
        Random r = new Random(2);
        String[] classes = {"bright", "dark"};
        for (String split : new String[] {"train", "test"}) {
            for (int c = 0; c < 2; c++) {
                Path folder = Files.createDirectories(dir.resolve("imgs").resolve(split).resolve(classes[c]));
                for (int i = 0; i < (split.equals("train") ? 24 : 8); i++) {
                    BufferedImage image = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 12; y++) {
                        for (int x = 0; x < 12; x++) {
                            int v = c == 0 ? 160 + r.nextInt(90) : r.nextInt(90);
                            image.setRGB(x, y, (v << 16) | (v << 8) | v);
                        }
                    }
                    ImageIO.write(image, "png", folder.resolve(i + ".png").toFile());
                }
            }
        }
        Path cnn = dir.resolve("i.cnn");
        Files.writeString(cnn, "model I\ninput 8x8x1\nflatten\ndense 2\n"
                + "train { loss cross_entropy; optimizer adam lr 0.05; batch 8; normalize scale 1/255 }\n");
        CheckCommandTest.Run ok = CheckCommandTest.run("train", cnn.toString(), "--data", dir.resolve("imgs").toString(), "--epochs", "5",
                "--run-dir", dir.resolve("run").toString());
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(ok.out().contains("(image folders (2 classes)): 48 examples (test: 16)"), ok.out());
        assertTrue(ok.out().contains("test accuracy 1.0000"), ok.out());

        Files.createDirectories(dir.resolve("imgs/train/empty"));
        Files.writeString(cnn, Files.readString(cnn).replace("dense 2", "dense 3"));
        CheckCommandTest.Run empty = CheckCommandTest.run("train", cnn.toString(), "--data", dir.resolve("imgs").toString());
        assertEquals(1, empty.exit());
        assertTrue(empty.err().contains("empty: no images"), empty.err());
    }
}
