package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.report.Json;
import dev.cnnc.compiler.report.JsonReport;
import dev.cnnc.compiler.report.Summary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Mutates the samples and golden files thousands of times: whatever the input, checking must
 * return (within a time bound) with a model or with errors, never throw, never report an
 * internal error, and everything it returns must render.
 */
class FuzzTest {
    private static final int ROUNDS = 4000;
    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final String[] TOKENS = {
        "{", "}", "(", ")", ",", ";", "\n", "x", "-", "/", "#", " ", "\t", "\r", "0", "1", "3x3", "28x28x1",
        "99999999999999999999", "1e999999999", "1e-999999999", "2147483648", "0x0x0", "-1", ".5", "1/0", "0/0",
        "repeat 10000 {", "residual {", "} shortcut {", "block b(n) { b(n) }", "b(1)", "model", "input", "train {",
        "conv", "pad same", "stride 0", "maxpool 9999", "dense 0", "softmax", "nobias", "\u0000", "\uFFFD", "é", "$",
        "loss", "optimizer sgd", "augment flip,", ",,,", "normalize mean", "batchnorm momentum"
    };

    static List<String> seeds() throws IOException {
        List<String> out = new ArrayList<>();
        for (Path folder : List.of(Path.of("../samples"), Golden.ROOT.resolve("good"), Golden.ROOT.resolve("bad"))) {
            try (Stream<Path> files = Files.list(folder)) {
                for (Path p : files.filter(f -> f.toString().endsWith(".cnn")).sorted().toList()) {
                    out.add(Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        assertTrue(out.size() > 20, "seed corpus found");
        return out;
    }

    @Test
    void mutatedInputsNeverEscapeOrHang() throws IOException {
        List<String> seeds = seeds();
        Random random = new Random(20261121);
        int models = 0;
        int failures = 0;
        for (int round = 0; round < ROUNDS; round++) {
            String input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            CheckResult result = checkBounded("fuzz" + round + ".cnn", input);
            if (result.ok()) {
                models++;
            } else {
                failures++;
            }
        }
        // The fuzzer must exercise both outcomes, or it is testing nothing.
        assertTrue(models > ROUNDS / 100, "some mutants still check: " + models);
        assertTrue(failures > ROUNDS / 4, "most mutants are errors: " + failures);
    }

    @Test
    void hostileInputs() {
        Random random = new Random(1);
        byte[] garbage = new byte[200_000];
        random.nextBytes(garbage);
        List<String> inputs = List.of(
                "",
                "   \n\n\t  ",
                SourceFiles.decode(garbage),
                "model M\ninput 28x28x1\nconv 99999999999 3x3\n",
                "model M\ninput 99999999999999999999x1x1\nrelu\n",
                "model M\ninput 28x28x1\ndropout 1e999999999\nleakyrelu 1e-99999999999\n",
                "model M\ninput 28x28x1\nrepeat 99999999999999999999 { relu }\n",
                "model M\ninput 28x28x1\nrepeat 10000 { repeat 10000 { repeat 10000 { relu } } }\n",
                "model M\ninput 28x28x1\nblock a() { a() }\na()\n",
                "model M\ninput 28x28x1\nblock a() { b() }\nblock b() { a() }\na()\n",
                "model M\ninput 28x28x1\n" + "repeat 1 {\n".repeat(10_000) + "relu\n" + "}\n".repeat(10_000),
                "model M\ninput 28x28x1\n" + "residual {\n".repeat(10_000) + "relu\n" + "}\n".repeat(10_000),
                "model M\ninput 28x28x1\n" + "{".repeat(10_000),
                "model M\ninput 28x28x1\nrelu" + "(".repeat(10_000),
                "model M\ninput 28x28x1\n" + "relu;".repeat(300_000),
                "model M\ninput 28x28x1\nconv 1 " + "9".repeat(100_000) + "x3\n",
                "model " + "M".repeat(1_000_000) + "\ninput 1\nrelu\n",
                "model M\ninput 2147483647x2147483647x2147483647\nrelu\n",
                "model M\ninput 1x1x1\nconv 2147483647 2147483647x2147483647 pad 2147483647\n");
        for (int i = 0; i < inputs.size(); i++) {
            CheckResult result = checkBounded("hostile" + i + ".cnn", inputs.get(i));
            assertFalse(result.ok(), "hostile input " + i + " should be refused");
        }
    }

    @Test
    void oversizedAndUnreadableFilesAreRefusedWithAMessage() throws IOException {
        Path dir = Files.createTempDirectory("cnnc-fuzz");
        Path big = dir.resolve("big.cnn");
        Files.write(big, new byte[10 << 20]);
        SourceFiles.Unreadable e = org.junit.jupiter.api.Assertions.assertThrows(SourceFiles.Unreadable.class, () -> SourceFiles.read(big));
        assertTrue(e.getMessage().contains("10.0 MiB"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(SourceFiles.Unreadable.class, () -> SourceFiles.read(dir));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(SourceFiles.Unreadable.class, () -> SourceFiles.read(dir.resolve("none.cnn")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        Files.delete(big);
        Files.delete(dir);
    }

    private static CheckResult checkBounded(String name, String input) {
        return assertTimeoutPreemptively(BOUND, () -> {
            CheckResult result = Frontend.check(new SourceFile(name, input));
            for (Diagnostic d : result.diagnostics()) {
                assertTrue(d.kind() != DiagnosticKind.INTERNAL,
                        () -> "internal error on input:\n" + clip(input) + "\n" + DiagnosticRenderer.render(d, result.source()));
                DiagnosticRenderer.render(d, result.source());
            }
            assertEquals(result.model() != null, result.ok(), "a model exactly when there are no errors");
            if (result.ok()) {
                Summary.render(result.model());
            }
            Json.write(JsonReport.of(result));
            return result;
        }, () -> "took longer than " + BOUND + " on input:\n" + clip(input));
    }

    private static String clip(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
    }

    static String mutate(String seed, Random random) {
        StringBuilder b = new StringBuilder(seed);
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = b.length() == 0 ? 0 : random.nextInt(b.length() + 1);
            switch (random.nextInt(7)) {
                case 0 -> { // delete a run
                    int end = Math.min(b.length(), at + 1 + random.nextInt(12));
                    b.delete(Math.min(at, b.length()), end);
                }
                case 1 -> b.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
                case 2 -> b.insert(at, " " + TOKENS[random.nextInt(TOKENS.length)] + " ");
                case 3 -> b.insert(at, (char) random.nextInt(0x80));
                case 4 -> { // duplicate a line
                    String[] lines = b.toString().split("\n", -1);
                    int line = random.nextInt(lines.length);
                    b.insert(Math.min(at, b.length()), lines[line] + "\n");
                }
                case 5 -> { // replace a digit run with a random number
                    String s = b.toString();
                    int d = s.indexOf(Character.forDigit(random.nextInt(10), 10), Math.min(at, s.length()));
                    if (d >= 0) {
                        b.replace(d, d + 1, Long.toString(random.nextLong() >>> random.nextInt(64)));
                    }
                }
                default -> b.setLength(Math.min(b.length(), at)); // truncate
            }
        }
        return b.toString();
    }
}
