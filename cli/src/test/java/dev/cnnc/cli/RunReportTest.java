package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cnnc.cli.viz.RunReport;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's report.html: written by cnnc train with every section, self-contained, and rendered by a
 * real browser (Debian's chromium, headless) with no console message and every picture decoded;
 * the screenshot is kept in cli/target/report-screenshot.png for CI to keep.
 */
class RunReportTest {
    @Test
    void trainWritesAReportThatABrowserRendersWhole(@TempDir Path dir) throws Exception {
        Path cnn = dir.resolve("fashion.cnn");
        Files.writeString(cnn, Files.readString(Path.of("../samples/fashion_mnist.cnn")).replace("  epochs 4", "  epochs 2\n  augment flip, shift 2, rotate 10"));
        Path run = dir.resolve("run");
        CheckCommandTest.Run r = CheckCommandTest.run("train", cnn.toString(), "--data", "../samples/data/fashion-mnist-small", "--run-dir",
                run.toString(), "--steps", "40", "--report-every", "0");
        assertEquals(0, r.exit(), r.out() + r.err());
        Path report = run.resolve("report.html");
        assertTrue(r.out().contains("report: " + report), r.out());
        String html = Files.readString(report);
        for (String section : List.of("<h2>Training</h2>", "<h2>Loss and accuracy</h2>", "<h2>Confusion matrix</h2>", "<h2>Per class</h2>",
                "<h2>Misclassified test images</h2>", "<h2>Augmentation</h2>", "<h2>Model</h2>", "flip, shift 2, rotate 10", "Total params: 421,642")) {
            assertTrue(html.contains(section), "report.html has no " + section);
        }
        // self-contained: every picture inline, nothing fetched
        List<String> sources = all(Pattern.compile("src=\"([^\"]{0,30})"), html);
        assertFalse(sources.isEmpty());
        sources.forEach(s -> assertTrue(s.startsWith("data:image/png;base64,"), s));
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("<link"), "report.html refers to something outside it");
        // a row a class, names from the data folder's classes.txt
        assertEquals(11, all(Pattern.compile("<tr><td>([^<]*)</td>"), html.substring(html.indexOf("<h2>Per class</h2>"))).size() + 1);
        assertTrue(html.contains("<tr><td>Ankle boot</td>"));
        int misclassified = all(Pattern.compile("<figcaption>#\\d+: [^<]*, taken for "), html).size();
        assertTrue(misclassified > 0 && misclassified <= TrainReport.MISCLASSIFIED, misclassified + " misclassified shown");
        assertEquals(TrainReport.AUGMENTED, all(Pattern.compile("<figcaption>(as it is|draw \\d+)</figcaption>"), html).size());

        Browser.Page page = Browser.render(report, Path.of("target/report-screenshot.png"));
        assertEquals(List.of(), page.console(), "the browser's console");
        assertEquals(Integer.toString(sources.size()), page.attribute("data-images"), "pictures the browser saw");
        assertEquals("0", page.attribute("data-broken"), "pictures that did not decode");
        BufferedImage shot = ImageIO.read(Path.of("target/report-screenshot.png").toFile());
        assertTrue(shot.getHeight() >= 2000 && distinctColours(shot) > 50, "the screenshot shows a page: " + distinctColours(shot) + " colours");
    }

    @Test
    void perClassFiguresComeFromTheConfusionMatrix() {
        long[][] confusion = {{3, 1}, {2, 4}}; // class 0: precision 3/5, recall 3/4; class 1: precision 4/5, recall 4/6
        String html = new RunReport("t", "", List.of(), "", null, null, confusion, List.of("cat", "dog"), "test", List.of(), List.of(), "none").html();
        assertTrue(html.contains("<tr><td>cat</td><td>0.6000</td><td>0.7500</td><td>0.6667</td><td>4</td></tr>"), html);
        assertTrue(html.contains("<tr><td>dog</td><td>0.8000</td><td>0.6667</td><td>0.7273</td><td>6</td></tr>"), html);
    }

    private static List<String> all(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(m.groupCount() > 0 ? m.group(1) : m.group());
        }
        return out;
    }

    private static int distinctColours(BufferedImage image) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }

    /** Debian's chromium, headless: the page's DOM after load, its console messages, and a screenshot. */
    static final class Browser {
        record Page(String dom, List<String> console) {
            String attribute(String name) {
                Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(dom);
                return m.find() ? m.group(1) : null;
            }
        }

        static Page render(Path html, Path screenshot) throws Exception {
            String chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : null;
            if (chromium == null) {
                fail("this test opens report.html in Debian's chromium: apt-get install chromium (.ci/run does)");
            }
            Path profile = Files.createTempDirectory("cnnc-chromium");
            List<String> common = List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile,
                    "--hide-scrollbars", "--window-size=1200,3600");
            Files.createDirectories(screenshot.toAbsolutePath().getParent());
            List<String> shot = new ArrayList<>(common);
            shot.addAll(List.of("--screenshot=" + screenshot.toAbsolutePath(), html.toUri().toString()));
            run(shot);
            List<String> dump = new ArrayList<>(common);
            dump.addAll(List.of("--enable-logging=stderr", "--v=0", "--dump-dom", html.toUri().toString()));
            String[] outErr = run(dump);
            List<String> console = outErr[1].lines().filter(l -> l.contains(":CONSOLE")).toList();
            return new Page(outErr[0], console);
        }

        private static String[] run(List<String> command) throws Exception {
            Path out = Files.createTempFile("chromium", ".out"), err = Files.createTempFile("chromium", ".err");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("chromium did not finish in 120 s: " + command);
            }
            if (p.exitValue() != 0) {
                fail("chromium failed (" + p.exitValue() + "): " + Files.readString(err));
            }
            return new String[] {Files.readString(out), Files.readString(err)};
        }
    }
}
