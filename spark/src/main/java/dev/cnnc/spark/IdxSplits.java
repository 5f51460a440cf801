package dev.cnnc.spark;

import dev.cnnc.runtime.data.IdxDataDir;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A pair of IDX files (images of unsigned bytes, one class byte an example) on a path every
 * worker can read, checked on the driver from their headers alone, and read by Spark's tasks a
 * range of examples each. A gzipped file cannot be split: each range decompresses up to its start.
 */
record IdxSplits(String images, String labels, int count, int exampleSize, long imagesOffset, long labelsOffset) implements Serializable {
    /** The data cannot be used; the message names the file and what is wrong. */
    static final class BadData extends Exception {
        BadData(String message) {
            super(message, null, false, false);
        }
    }

    /** The split {@code prefix} ("train", "t10k") of a folder, checked against the model's input, or null when the folder has none. */
    static IdxSplits open(Path dir, String prefix, IdxDataDir.Spec spec, boolean required) throws BadData {
        Path imagesFile;
        Path labelsFile;
        try {
            imagesFile = IdxDataDir.find(dir, prefix + "-images");
            labelsFile = IdxDataDir.find(dir, prefix + "-labels");
        } catch (IOException e) {
            throw new BadData("cannot read the data folder " + dir + ": " + e.getMessage());
        }
        if (imagesFile == null || labelsFile == null) {
            if (!required) {
                return null;
            }
            throw new BadData(dir + ": no " + prefix + "-images and " + prefix + "-labels IDX files (raw or .gz) in this folder");
        }
        int[] d = header(imagesFile);
        int[] l = header(labelsFile);
        int h = d.length >= 3 ? d[1] : -1;
        int w = d.length >= 3 ? d[2] : -1;
        int c = d.length == 4 ? d[3] : 1;
        if (d.length < 3 || d.length > 4 || h != spec.height() || w != spec.width() || c != spec.channels()) {
            throw new BadData(imagesFile + ": images are " + Arrays.toString(d) + ", but the model's input is " + spec.height() + "x"
                    + spec.width() + "x" + spec.channels() + " ([N," + spec.height() + "," + spec.width()
                    + (spec.channels() == 1 ? "" : "," + spec.channels()) + "] unsigned bytes)");
        }
        if (l.length != 1) {
            throw new BadData(labelsFile + ": cnnc-spark trains classifiers: labels must be one class byte per example ([N]), but the file is "
                    + Arrays.toString(l));
        }
        if (l[0] != d[0]) {
            throw new BadData(labelsFile + ": " + l[0] + " labels for " + d[0] + " images in " + imagesFile.getFileName());
        }
        return new IdxSplits(imagesFile.toAbsolutePath().toString(), labelsFile.toAbsolutePath().toString(), d[0], h * w * c,
                4L + 4L * d.length, 8);
    }

    /** The dimensions in a file's header; only unsigned bytes (magic 0x0000080N) are read here. */
    static int[] header(Path file) throws BadData {
        try (DataInputStream in = new DataInputStream(open(file))) {
            int magic = in.readInt();
            int rank = magic & 0xff;
            if ((magic >>> 8) != 0x08 || rank < 1 || rank > 4) {
                throw new BadData(String.format("%s: wrong magic number 0x%08X (cnnc-spark reads IDX files of unsigned bytes, 0x0000080N)",
                        file, magic));
            }
            int[] dims = new int[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) {
                    throw new BadData(file + ": negative dimension " + dims[i]);
                }
            }
            return dims;
        } catch (EOFException e) {
            throw new BadData(file + ": truncated header");
        } catch (IOException e) {
            throw new BadData("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** [from, to) ranges of about {@code size} examples, at least {@code minimum} of them. */
    List<int[]> ranges(int size, int minimum) {
        int parts = Math.max(minimum, (count + size - 1) / size);
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            int from = (int) ((long) count * p / parts);
            int to = (int) ((long) count * (p + 1) / parts);
            if (to > from) {
                out.add(new int[] {from, to});
            }
        }
        return out;
    }

    /** Examples [from, to); an unreadable or short file fails the task with a message naming it and the range. */
    List<Example> read(int from, int to) throws IOException {
        byte[] pixels = readBytes(Path.of(images), imagesOffset + (long) from * exampleSize, (long) (to - from) * exampleSize, from, to);
        byte[] classes = readBytes(Path.of(labels), labelsOffset + from, to - from, from, to);
        List<Example> out = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            int at = (i - from) * exampleSize;
            out.add(new Example(i, Arrays.copyOfRange(pixels, at, at + exampleSize), classes[i - from] & 0xff));
        }
        return out;
    }

    private static byte[] readBytes(Path file, long offset, long length, int from, int to) throws IOException {
        byte[] out = new byte[Math.toIntExact(length)];
        try (InputStream in = open(file)) {
            in.skipNBytes(offset);
            int n = in.readNBytes(out, 0, out.length);
            if (n < out.length) {
                throw new IOException(file + ": truncated: examples " + from + " to " + (to - 1) + " end at byte " + (offset + length)
                        + ", the file ends at " + (offset + n));
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated before examples " + from + " to " + (to - 1) + " (byte " + offset + ")");
        }
        return out;
    }

    private static InputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return file.getFileName().toString().endsWith(".gz") ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }
}
