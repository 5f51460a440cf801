package dev.cnnc.maven;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What the last run generated: for each .cnn (by its path under the source folder) the SHA-256
 * of its text and the files written for it, plus a fingerprint of the settings and the plugin.
 * A lost or unreadable state only costs a full regeneration.
 */
record GenerationState(String fingerprint, Map<String, Entry> entries) {
    record Entry(String sha256, List<String> outputs) {
    }

    static final GenerationState EMPTY = new GenerationState("", Map.of());

    static GenerationState load(Path file) {
        if (!Files.isRegularFile(file)) {
            return EMPTY;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return EMPTY;
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (String key : new TreeMap<>(p).keySet().stream().map(Object::toString).toList()) {
            if (key.startsWith("sha256.")) {
                String source = key.substring("sha256.".length());
                String outputs = p.getProperty("outputs." + source, "");
                entries.put(source, new Entry(p.getProperty(key), outputs.isEmpty() ? List.of() : Arrays.asList(outputs.split(","))));
            }
        }
        return new GenerationState(p.getProperty("fingerprint", ""), entries);
    }

    void save(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("fingerprint", fingerprint);
        entries.forEach((source, entry) -> {
            p.setProperty("sha256." + source, entry.sha256());
            p.setProperty("outputs." + source, String.join(",", entry.outputs()));
        });
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
            p.store(out, "cnnc-maven-plugin: what was generated from which .cnn; delete to regenerate everything");
        }
        try {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
