package dev.cnnc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    /** Raw IDX bytes with any magic number (Idx.writeUnsignedBytes writes only valid ones). */
    static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(body);
        return bytes.toByteArray();
    }

    @Test
    void readsRawAndGzippedChannelsLast(@TempDir Path dir) throws Exception {
        // two 2x2 images with 2 channels, channels last: pixel (y,x) = [c0, c1]
        byte[] pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        Idx.writeUnsignedBytes(dir.resolve("train-images-idx4-ubyte.gz"), new int[] {2, 2, 2, 2}, pixels);
        Idx.writeUnsignedBytes(dir.resolve("train-labels-idx1-ubyte"), new int[] {2}, new byte[] {1, 0});
        Dataset d = IdxDataDir.train(dir, new IdxDataDir.Spec(2, 2, 2, 3, 0.5f, new float[0], new float[0]));
        assertEquals(2, d.count());
        // example 0, channel 0: pixels 1,3,5,7 scaled by 0.5; channel 1: 2,4,6,8
        assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 1f, 2f, 3f, 4f}, java.util.Arrays.copyOf(d.images(), 8));
        assertArrayEquals(new int[] {1, 0}, d.labels());
    }

    @Test
    void corruptOrMismatchedDataIsNamed(@TempDir Path dir) throws Exception {
        IdxDataDir.Spec spec = new IdxDataDir.Spec(1, 2, 2, 2, 1f, new float[0], new float[0]);
        Path images = dir.resolve("train-images-idx3-ubyte");
        Path labels = dir.resolve("train-labels-idx1-ubyte");
        Files.write(labels, idx(0x801, new int[] {2}, new byte[] {0, 1}));
        Files.write(images, idx(0x1234, new int[] {2, 2, 2}, new byte[8]));
        assertMessage(dir, spec, "wrong magic number");
        Files.write(images, idx(0x803, new int[] {2, 2, 2}, new byte[5]));
        assertMessage(dir, spec, "truncated");
        Files.write(images, idx(0x803, new int[] {2, 3, 3}, new byte[18]));
        assertMessage(dir, spec, "images are 3x3x1, but the model's input is 2x2x1");
        Files.write(images, idx(0x803, new int[] {3, 2, 2}, new byte[12]));
        assertMessage(dir, spec, "2 labels for 3 images");
        Files.write(images, idx(0x803, new int[] {2, 2, 2}, new byte[8]));
        Files.write(labels, idx(0x801, new int[] {2}, new byte[] {0, 7}));
        assertMessage(dir, spec, "label 7.0 of example 1 is not a class of this model");
    }

    static void assertMessage(Path dir, IdxDataDir.Spec spec, String part) {
        Idx.BadFile e = assertThrows(Idx.BadFile.class, () -> IdxDataDir.train(dir, spec));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
