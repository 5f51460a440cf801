package dev.cnnc.runtime.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * IDX files (the MNIST format), raw or gzipped: a magic number naming the element type and
 * the number of dimensions, the dimensions as big-endian ints, then the data.
 */
public final class Idx {
    /** A file that is not a valid IDX file; the message names the file and the problem. */
    public static final class BadFile extends Exception {
        public BadFile(String message) {
            super(message);
        }
    }

    /** The contents: dimensions and values (unsigned bytes widened, or floats). */
    public record Array(int[] dims, float[] values, boolean floats) {
        public int count() {
            return dims.length == 0 ? 0 : dims[0];
        }

        public int exampleSize() {
            int s = 1;
            for (int i = 1; i < dims.length; i++) {
                s *= dims[i];
            }
            return s;
        }
    }

    private Idx() {
    }

    public static Array read(Path file) throws IOException, BadFile {
        byte[] bytes = readMaybeGzipped(file);
        if (bytes.length < 4) {
            throw new BadFile(file + ": truncated (" + bytes.length + " bytes; an IDX file starts with a 4-byte magic number)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int magic = buf.getInt();
        int type = (magic >>> 8) & 0xff;
        int rank = magic & 0xff;
        if ((magic >>> 16) != 0 || (type != 0x08 && type != 0x0D) || rank < 1 || rank > 4) {
            throw new BadFile(String.format("%s: wrong magic number 0x%08X (expected 0x0000080N for unsigned bytes or 0x00000D0N for floats)",
                    file, magic));
        }
        if (bytes.length < 4 + 4 * rank) {
            throw new BadFile(file + ": truncated header");
        }
        int[] dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = buf.getInt();
            if (dims[i] < 0) {
                throw new BadFile(file + ": negative dimension " + dims[i]);
            }
            count *= dims[i];
        }
        int width = type == 0x08 ? 1 : 4;
        long expected = 4L + 4L * rank + count * width;
        if (bytes.length < expected) {
            throw new BadFile(file + ": truncated: the header promises " + count + " values (" + expected + " bytes), the file has "
                    + bytes.length + " bytes");
        }
        float[] values = new float[(int) count];
        if (type == 0x08) {
            int base = 4 + 4 * rank;
            for (int i = 0; i < count; i++) {
                values[i] = bytes[base + i] & 0xff;
            }
        } else {
            buf.asFloatBuffer().get(values);
        }
        return new Array(dims, values, type == 0x0D);
    }

    /** Writes unsigned bytes as an IDX file (magic 0x0000080N), gzipped when the name ends in .gz, atomically. */
    public static void writeUnsignedBytes(Path file, int[] dims, byte[] data) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(16 + data.length);
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(file.toString().endsWith(".gz")
                ? new java.util.zip.GZIPOutputStream(bytes) : bytes)) {
            out.writeInt(0x0800 | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        dev.cnnc.runtime.io.AtomicFiles.write(file, bytes.toByteArray());
    }

    /** The file's bytes, gunzipped when it is gzip; a truncated or corrupt .gz is a BadFile naming it. */
    static byte[] readMaybeGzipped(Path file) throws IOException, BadFile {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
                in.transferTo(out);
                return out.toByteArray();
            } catch (java.io.EOFException | java.util.zip.ZipException e) {
                throw new BadFile(file + ": a truncated or corrupt gzip file (" + e.getMessage() + ")");
            }
        }
        return raw;
    }
}
