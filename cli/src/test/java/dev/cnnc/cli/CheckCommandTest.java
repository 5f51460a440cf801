package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.json.JsonReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void checkPrintsTheTableEndingWithTheThreeTotals() {
        Run r = run("check", "../samples/fashion_mnist.cnn");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of("Total params: 421,642", "Trainable params: 421,642", "Non-trainable params: 0"),
                lines.subList(lines.size() - 3, lines.size()));
        assertTrue(r.out().contains("conv1        5  conv 32 3x3 pad same  28x28x32"), r.out());
    }

    @Test
    void errorsGoToStderrWithExitOne(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.cnn");
        Files.writeString(bad, "model M\ninput 28x28x1\nmaxpol 2\nconv 8 3x3 strid 2\n");
        Run r = run("check", bad.toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().contains(bad + ":3:1: error: unknown layer 'maxpol' [E210]\n    maxpol 2\n    ^\n  hint: did you mean maxpool?"), r.err());
        assertTrue(r.err().contains(bad + ":4:12: error: conv has no option 'strid' [E211]"), r.err());
        assertTrue(r.err().contains("2 errors in " + bad), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void usageAndUnreadableFilesExitTwo(@TempDir Path dir) {
        assertEquals(2, run().exit());
        assertEquals(2, run("check").exit());
        assertEquals(2, run("check", "--frobnicate", "x.cnn").exit());
        assertEquals(2, run("nonsense").exit());
        Run missing = run("check", dir.resolve("missing.cnn").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Run directory = run("check", dir.toString());
        assertEquals(2, directory.exit());
        assertTrue(directory.err().contains("is a directory"), directory.err());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("check"), r.out());
    }

    @Test
    void jsonGivesTheSameFacts(@TempDir Path dir) throws Exception {
        Run r = run("check", "--json", "../samples/resnet18.cnn");
        assertEquals(0, r.exit(), r.err());
        Map<?, ?> m = (Map<?, ?>) JsonReader.parse(r.out());
        assertEquals("ResNet18", m.get("model"));
        assertEquals(11_689_512L, m.get("trainableParams"));
        assertEquals(9_600L, m.get("nonTrainableParams"));
        assertEquals(List.of(1000L), m.get("output"));
        assertEquals(List.of(), m.get("diagnostics"));

        Path bad = dir.resolve("bad.cnn");
        Files.writeString(bad, "model M\ninput 28x28x1\ndense 10\n");
        Run both = run("check", "--json", "../samples/lenet5.cnn", bad.toString());
        assertEquals(1, both.exit());
        List<?> reports = (List<?>) JsonReader.parse(both.out());
        assertEquals(2, reports.size());
        Map<?, ?> error = (Map<?, ?>) ((List<?>) ((Map<?, ?>) reports.get(1)).get("diagnostics")).get(0);
        assertEquals("E302", error.get("code"));
        assertEquals(3L, error.get("line"));
        assertEquals(1L, error.get("column"));
    }
}
