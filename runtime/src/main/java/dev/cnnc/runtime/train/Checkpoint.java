package dev.cnnc.runtime.train;

import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import dev.cnnc.runtime.io.Safetensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a run stands: weights, running statistics and optimizer state as tensors, and the
 * position (epoch, next batch, step) and generator states as metadata, with a SHA-256 of all the
 * tensors. One file, {@code checkpoint.safetensors}, written atomically: a crash at any moment
 * leaves either the previous checkpoint or the new one, never a torn one.
 */
public record Checkpoint(int epoch, int batch, long step, long shuffleState, long dropoutState, EpochSoFar soFar,
                         Map<String, String> settings) {
    public static final String FILE = "checkpoint.safetensors";
    private static final String SETTING = "setting.";

    /**
     * The part of the epoch run before a mid-epoch checkpoint (sums over its batches), so that a
     * resumed run reports the epoch's loss and accuracy over all of it, as an uninterrupted run does.
     */
    public record EpochSoFar(double lossSum, long correct, int seen, double seconds) {
        public static final EpochSoFar NONE = new EpochSoFar(0, 0, 0, 0);
    }

    public Checkpoint {
        settings = Map.copyOf(settings);
    }

    /** A checkpoint that cannot be used; the message names the file and the problem. */
    public static final class Corrupt extends Exception {
        public Corrupt(String message) {
            super(message);
        }
    }

    public void save(Path dir, Network net, Optimizer optimizer, Runnable beforeRename) throws IOException {
        net.syncOptimizerState(optimizer);
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Safetensors.collect(net, data, shapes);
        for (Map.Entry<String, float[]> e : optimizer.stateArrays().entrySet()) {
            data.put(e.getKey(), e.getValue().clone());
            shapes.put(e.getKey(), new int[] {e.getValue().length});
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(epoch));
        meta.put("batch", Integer.toString(batch));
        meta.put("step", Long.toString(step));
        meta.put("shuffle_state", Long.toString(shuffleState));
        meta.put("dropout_state", Long.toString(dropoutState));
        meta.put("optimizer_steps", Long.toString(optimizer.steps()));
        meta.put("epoch_loss_sum", Double.toString(soFar.lossSum()));
        meta.put("epoch_correct", Long.toString(soFar.correct()));
        meta.put("epoch_seen", Integer.toString(soFar.seen()));
        meta.put("epoch_seconds", Double.toString(soFar.seconds()));
        settings.forEach((k, v) -> meta.put(SETTING + k, v));
        meta.put("sha256", digest(data));
        Files.createDirectories(dir);
        Safetensors.write(dir.resolve(FILE), data, shapes, meta, beforeRename);
    }

    /** Reads a checkpoint (a file, or a folder holding one) into the network and optimizer, after checking its digest. */
    public static Checkpoint load(Path path, Network net, Optimizer optimizer) throws IOException, Corrupt {
        Path file = Files.isDirectory(path) ? path.resolve(FILE) : path;
        if (!Files.exists(file)) {
            throw new Corrupt(file + ": no checkpoint here");
        }
        Map<String, Map.Entry<int[], float[]>> tensors;
        Map<String, String> meta;
        try {
            tensors = Safetensors.read(file);
            meta = Safetensors.metadata(file);
        } catch (Safetensors.BadFile e) {
            throw new Corrupt("corrupted checkpoint: " + e.getMessage());
        }
        requireCheckpoint(file, meta);
        verify(file, tensors, meta);
        for (TensorInfo t : net.tensors()) {
            Map.Entry<int[], float[]> found = tensors.get(t.name());
            if (found == null || found.getValue().length != t.size()) {
                throw new Corrupt(file + ": a checkpoint of another model (no " + t.name() + " of " + t.size() + " values)");
            }
            try {
                Safetensors.requireFinite(file, t.name(), found.getValue());
            } catch (Safetensors.BadFile e) {
                throw new Corrupt(e.getMessage());
            }
            System.arraycopy(found.getValue(), 0, t.trainable() ? net.parameters() : net.state(), t.offset(), t.size());
        }
        for (Map.Entry<String, float[]> e : optimizer.stateArrays().entrySet()) {
            Map.Entry<int[], float[]> found = tensors.get(e.getKey());
            if (found == null || found.getValue().length != e.getValue().length) {
                throw new Corrupt(file + ": its optimizer state does not match this optimizer (" + e.getKey() + ")");
            }
            System.arraycopy(found.getValue(), 0, e.getValue(), 0, e.getValue().length);
        }
        try {
            optimizer.setSteps(Long.parseLong(meta.get("optimizer_steps")));
            Map<String, String> settings = settingsIn(meta);
            EpochSoFar soFar = meta.containsKey("epoch_seen") ? new EpochSoFar(Double.parseDouble(meta.get("epoch_loss_sum")),
                    Long.parseLong(meta.get("epoch_correct")), Integer.parseInt(meta.get("epoch_seen")),
                    Double.parseDouble(meta.get("epoch_seconds"))) : EpochSoFar.NONE;
            return new Checkpoint(Integer.parseInt(meta.get("epoch")), Integer.parseInt(meta.get("batch")), Long.parseLong(meta.get("step")),
                    Long.parseLong(meta.get("shuffle_state")), Long.parseLong(meta.get("dropout_state")), soFar, settings);
        } catch (NumberFormatException | NullPointerException e) {
            throw new Corrupt(file + ": not a cnnc checkpoint (its position is missing)");
        }
    }

    /**
     * The settings a checkpoint file's run used (batch, seed, ...; what an exact resume depends
     * on), read from its header alone, before anything is loaded.
     */
    public static Map<String, String> settings(Path file) throws IOException, Corrupt {
        Map<String, String> meta;
        try {
            meta = Safetensors.metadata(file);
        } catch (Safetensors.BadFile e) {
            throw new Corrupt("corrupted checkpoint: " + e.getMessage());
        }
        requireCheckpoint(file, meta);
        return settingsIn(meta);
    }

    private static Map<String, String> settingsIn(Map<String, String> meta) {
        Map<String, String> settings = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith(SETTING)) {
                settings.put(k.substring(SETTING.length()), v);
            }
        });
        return settings;
    }

    /** A weights file (from --save) has no checksum and no position: given where a checkpoint is wanted, say so. */
    private static void requireCheckpoint(Path file, Map<String, String> meta) throws Corrupt {
        if (!meta.containsKey("sha256")) {
            throw new Corrupt(file + ": a weights file, not a checkpoint (it holds no training position, optimizer state or checksum); "
                    + "to start a new run from these weights use --init " + file);
        }
    }

    /**
     * Like {@link #loadWeights}, but loads only the tensors whose name and shape match, and none of
     * {@code skippedLayers}; returns the ones left as they were, and why.
     */
    public static java.util.List<String> loadMatchingWeights(Path file, Network net, java.util.Set<String> skippedLayers)
            throws IOException, Safetensors.BadFile, Corrupt {
        Map<String, Map.Entry<int[], float[]>> tensors = Safetensors.read(file);
        verify(file, tensors, Safetensors.metadata(file));
        return Safetensors.loadMatching(net, file, tensors, skippedLayers);
    }

    /**
     * Loads the weights of a weights file or a checkpoint into the network, a checkpoint's
     * SHA-256 verified first; returns the tensors read (extras such as normalisation statistics too).
     */
    public static Map<String, Map.Entry<int[], float[]>> loadWeights(Path file, Network net) throws IOException, Safetensors.BadFile, Corrupt {
        Map<String, Map.Entry<int[], float[]>> tensors = Safetensors.read(file);
        verify(file, tensors, Safetensors.metadata(file));
        Safetensors.load(net, file, tensors);
        return tensors;
    }

    /**
     * Checks a file's SHA-256 when it carries one (a checkpoint; a weights file from --save has
     * none), so that --init of a damaged checkpoint fails as --resume does.
     */
    public static void verify(Path file, Map<String, Map.Entry<int[], float[]>> tensors, Map<String, String> meta) throws Corrupt {
        if (!meta.containsKey("sha256")) {
            return;
        }
        Map<String, float[]> data = new LinkedHashMap<>();
        tensors.forEach((k, v) -> data.put(k, v.getValue()));
        if (!digest(data).equals(meta.get("sha256"))) {
            throw new Corrupt("corrupted checkpoint: " + file + ": its contents do not match their SHA-256 checksum");
        }
    }

    static String digest(Map<String, float[]> data) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, float[]> e : data.entrySet()) {
                sha.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ByteBuffer b = ByteBuffer.allocate(4 * e.getValue().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(e.getValue());
                sha.update(b);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
