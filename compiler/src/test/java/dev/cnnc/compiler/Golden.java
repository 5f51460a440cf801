package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Golden files under src/test/resources/golden. Run with -Dgolden.update=true to rewrite the
 * expected files from the current output (then read the diff before committing it).
 */
final class Golden {
    static final Path ROOT = Path.of("src/test/resources/golden");

    private Golden() {
    }

    static List<Path> cnnFiles(String folder) throws IOException {
        try (Stream<Path> files = Files.list(ROOT.resolve(folder))) {
            return files.filter(p -> p.toString().endsWith(".cnn")).sorted().toList();
        }
    }

    static void compare(Path expectedFile, String actual) throws IOException {
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
            return;
        }
        String expected = Files.exists(expectedFile) ? Files.readString(expectedFile, StandardCharsets.UTF_8) : "<missing " + expectedFile + ">";
        assertEquals(expected, actual, "golden file " + expectedFile + " (rerun with -Dgolden.update=true to accept)");
    }

    static Path sibling(Path cnn, String extension) {
        String name = cnn.getFileName().toString();
        return cnn.resolveSibling(name.substring(0, name.length() - ".cnn".length()) + extension);
    }
}
