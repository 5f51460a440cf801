package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README shows what its `cnnc check` commands print: each shown output is the command's output now, line for line. */
class ReadmeTest {
    @Test
    void everyCheckExampleInTheReadmePrintsWhatItShows() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("../README.md"));
        int checked = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("$ ./cnnc check ")) {
                continue;
            }
            List<String> shown = new ArrayList<>();
            for (int j = i + 1; j < lines.size() && !lines.get(j).startsWith("$ ") && !lines.get(j).equals("```"); j++) {
                shown.add(lines.get(j));
            }
            String[] args = line.substring("$ ./cnnc ".length()).split(" ");
            for (int a = 1; a < args.length; a++) {
                if (args[a].endsWith(".cnn")) {
                    args[a] = "../" + args[a];
                }
            }
            CheckCommandTest.Run r = CheckCommandTest.run(args);
            String printed = (r.out() + r.err()).replace("../samples/", "samples/");
            assertEquals(String.join("\n", shown).strip(), printed.strip(), "README: " + line);
            checked++;
        }
        assertTrue(checked >= 2, "the README shows a summary and an error report");
    }
}
