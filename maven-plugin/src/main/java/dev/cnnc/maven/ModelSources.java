package dev.cnnc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The .cnn files under a source folder, each with the Java package its folder gives (as antlr4-maven-plugin does). */
final class ModelSources {
    /** One .cnn file; {@code relative} uses '/' whatever the platform, so state files move between machines. */
    record ModelSource(Path file, String relative, String packageName) {
    }

    private ModelSources() {
    }

    static List<ModelSource> scan(Path sourceDir, String configuredPackage) throws IOException {
        if (!Files.isDirectory(sourceDir)) {
            return List.of();
        }
        List<ModelSource> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sourceDir)) {
            for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                if (Files.isRegularFile(file) && file.getFileName().toString().endsWith(".cnn")) {
                    Path rel = sourceDir.relativize(file);
                    String relative = rel.toString().replace(rel.getFileSystem().getSeparator(), "/");
                    String pkg = configuredPackage != null ? configuredPackage : folderPackage(rel);
                    sources.add(new ModelSource(file, relative, pkg));
                }
            }
        }
        return sources;
    }

    /** com/example/net.cnn -> com.example; a file at the root goes to the default package. */
    static String folderPackage(Path relative) {
        Path parent = relative.getParent();
        if (parent == null) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Path part : parent) {
            parts.add(part.toString());
        }
        return String.join(".", parts);
    }

    /** Null when {@code name} can be a package; otherwise why not, for the user. */
    static String packageProblem(String name) {
        return dev.cnnc.compiler.emit.JavaNames.packageProblem(name);
    }
}
