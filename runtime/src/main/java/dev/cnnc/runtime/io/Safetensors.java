package dev.cnnc.runtime.io;

import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.json.JsonReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then little-endian data. Names and layouts are PyTorch's, so a
 * file loads into the equivalent torch.nn model and back. Writes are atomic (temporary file,
 * fsync, rename).
 */
public final class Safetensors {
    /** A file that is not a valid safetensors file, or does not fit the network; the message says why. */
    public static final class BadFile extends Exception {
        public BadFile(String message) {
            super(message);
        }
    }

    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    public static void save(Network net, Path file) throws IOException {
        save(net, file, Map.of());
    }

    /** Saves the network's tensors and {@code extras} (one-dimensional, such as normalisation statistics). */
    public static void save(Network net, Path file, Map<String, float[]> extras) throws IOException {
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : extras.entrySet()) {
            data.put(e.getKey(), e.getValue().clone());
            shapes.put(e.getKey(), new int[] {e.getValue().length});
        }
        collect(net, data, shapes);
        write(file, data, shapes);
    }

    /** Copies every tensor of the network (parameters and state) into {@code data} under its name, with its shape. */
    public static void collect(Network net, Map<String, float[]> data, Map<String, int[]> shapes) {
        for (TensorInfo t : net.tensors()) {
            float[] src = t.trainable() ? net.parameters() : net.state();
            float[] copy = new float[t.size()];
            System.arraycopy(src, t.offset(), copy, 0, t.size());
            data.put(t.name(), copy);
            shapes.put(t.name(), t.shape());
        }
    }

    public static void write(Path file, Map<String, float[]> data, Map<String, int[]> shapes) throws IOException {
        write(file, data, shapes, Map.of(), null);
    }

    /**
     * Writes tensors with extra string metadata. {@code beforeRename} runs after the temporary
     * file is complete and synced, before it replaces {@code file} (tests simulate a crash there).
     */
    public static void write(Path file, Map<String, float[]> data, Map<String, int[]> shapes, Map<String, String> metadata,
                             Runnable beforeRename) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"producer\":\"cnnc\"");
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            header.append(",\"").append(m.getKey()).append("\":\"").append(m.getValue()).append('"');
        }
        header.append('}');
        long offset = 0;
        for (Map.Entry<String, float[]> e : data.entrySet()) {
            long bytes = 4L * e.getValue().length;
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = shapes.get(e.getKey());
            for (int i = 0; i < shape.length; i++) {
                header.append(i == 0 ? "" : ",").append(shape[i]);
            }
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (float[] values : data.values()) {
            for (float v : values) {
                buf.putFloat(v);
            }
        }
        buf.flip();
        AtomicFiles.write(file, buf, beforeRename);
    }

    /** The string metadata of a file ({@code __metadata__}). */
    public static Map<String, String> metadata(Path file) throws IOException, BadFile {
        byte[] head = new byte[8];
        try (var in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 8) < 8) {
                throw new BadFile(file + ": too short to be a safetensors file");
            }
            long length = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (length < 2 || length > MAX_HEADER) {
                throw new BadFile(file + ": not a safetensors file (header length " + length + ")");
            }
            byte[] json = in.readNBytes((int) length);
            Object parsed = JsonReader.parse(new String(json, StandardCharsets.UTF_8));
            Map<String, String> out = new LinkedHashMap<>();
            if (parsed instanceof Map<?, ?> h && h.get("__metadata__") instanceof Map<?, ?> m) {
                m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
            }
            return out;
        } catch (JsonReader.MalformedJson e) {
            throw new BadFile(file + ": corrupt header: " + e.getMessage());
        }
    }

    /** Reads every F32 tensor of a file: name to (shape, values). */
    public static Map<String, Map.Entry<int[], float[]>> read(Path file) throws IOException, BadFile {
        long size = Files.size(file);
        if (size < 8) {
            throw new BadFile(file + ": too short to be a safetensors file (" + size + " bytes)");
        }
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER || 8 + headerLength > size) {
            throw new BadFile(file + ": not a safetensors file (header length " + headerLength + " does not fit the file)");
        }
        Object parsed;
        try {
            parsed = JsonReader.parse(new String(all, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (JsonReader.MalformedJson e) {
            throw new BadFile(file + ": corrupt header: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw new BadFile(file + ": the header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        Map<String, Map.Entry<int[], float[]>> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> t) || !"F32".equals(t.get("dtype"))
                    || !(t.get("shape") instanceof List<?> shapeList) || !(t.get("data_offsets") instanceof List<?> offs)
                    || offs.size() != 2) {
                throw new BadFile(file + ": tensor " + name + " is not a float32 tensor with a shape and data offsets");
            }
            int[] shape = new int[shapeList.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                    throw new BadFile(file + ": tensor " + name + " has a bad shape " + shapeList);
                }
                shape[i] = (int) (long) d;
                count *= d;
            }
            if (!(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end) || begin < 0 || end - begin != 4 * count
                    || dataStart + end > size) {
                throw new BadFile(file + ": tensor " + name + " has data offsets " + offs + " that do not match its shape or the file");
            }
            float[] values = new float[(int) count];
            ByteBuffer data = ByteBuffer.wrap(all, (int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().get(values);
            out.put(name, Map.entry(shape, values));
        }
        return out;
    }

    /**
     * Refuses a tensor holding NaN or an infinity, naming it and the first bad index: such weights
     * would train or predict to nonsense without a word (PyTorch would print nan).
     */
    public static void requireFinite(Path file, String tensor, float[] values) throws BadFile {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                int bad = 0;
                for (float v : values) {
                    bad += Float.isFinite(v) ? 0 : 1;
                }
                throw new BadFile(file + ": tensor " + tensor + " holds " + values[i] + " at index " + i + " (" + bad + " of its "
                        + values.length + " values are not finite); these weights are unusable");
            }
        }
    }

    /** Loads every tensor of the network from a file; each must be present with the same shape. */
    public static void load(Network net, Path file) throws IOException, BadFile {
        load(net, file, read(file));
    }

    /**
     * Loads every tensor of {@code net} that {@code tensors} holds under the same name and shape,
     * but those of {@code skippedLayers}, and leaves the others as they are (a new head on a
     * pretrained body). Returns, for each one left, why: skipped, missing, or both shapes.
     * Non-finite values are refused as by {@link #load}.
     */
    public static java.util.List<String> loadMatching(Network net, Path file, Map<String, Map.Entry<int[], float[]>> tensors,
                                                      java.util.Set<String> skippedLayers) throws BadFile {
        java.util.List<String> left = new java.util.ArrayList<>();
        for (TensorInfo t : net.tensors()) {
            if (skippedLayers.contains(t.name().substring(0, Math.max(0, t.name().lastIndexOf('.'))))) {
                left.add(t.name() + " (its layer is left out)");
                continue;
            }
            Map.Entry<int[], float[]> found = tensors.get(t.name());
            if (found == null) {
                left.add(t.name() + " (not in the file)");
                continue;
            }
            if (!java.util.Arrays.equals(found.getKey(), t.shape())) {
                left.add(t.name() + " (" + java.util.Arrays.toString(t.shape()) + " here, " + java.util.Arrays.toString(found.getKey()) + " in the file)");
                continue;
            }
            put(net, file, t, found.getValue());
        }
        return left;
    }

    /** Copies a tensor read from {@code file} into the network's parameters or state, refusing non-finite values. */
    private static void put(Network net, Path file, TensorInfo t, float[] values) throws BadFile {
        requireFinite(file, t.name(), values);
        System.arraycopy(values, 0, t.trainable() ? net.parameters() : net.state(), t.offset(), t.size());
    }

    /** The same from tensors already read from {@code file} (named in errors). */
    public static void load(Network net, Path file, Map<String, Map.Entry<int[], float[]>> tensors) throws BadFile {
        for (TensorInfo t : net.tensors()) {
            Map.Entry<int[], float[]> found = tensors.get(t.name());
            if (found == null) {
                throw new BadFile(file + ": has no tensor " + t.name() + " (the model " + net.name() + " needs " + net.tensors() + ")");
            }
            if (!java.util.Arrays.equals(found.getKey(), t.shape())) {
                throw new BadFile(file + ": tensor " + t.name() + " has shape " + java.util.Arrays.toString(found.getKey())
                        + ", but the model needs " + java.util.Arrays.toString(t.shape()));
            }
            put(net, file, t, found.getValue());
        }
    }
}
