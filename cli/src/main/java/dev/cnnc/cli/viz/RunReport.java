package dev.cnnc.cli.viz;

import dev.cnnc.runtime.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A training run as one self-contained HTML page (report.html in the run folder): every picture
 * inlined as a data: URI and the style in the page, so it opens anywhere without the run folder
 * or a network. A few lines of script mark any picture that failed to decode, on the page and in
 * the browser's console, which is how the headless-browser test sees a broken report.
 */
public record RunReport(String title, String summary, List<String[]> settings, String source, BufferedImage curves,
                        BufferedImage confusion, long[][] testConfusion, List<String> classNames, String examplesName,
                        List<Example> misclassified, List<Example> augmented, String augmentNote) {

    /** A small picture and its caption. */
    public record Example(BufferedImage image, String caption) {
    }

    public RunReport {
        settings = List.copyOf(settings);
        misclassified = List.copyOf(misclassified);
        augmented = List.copyOf(augmented);
    }

    public void write(Path file) throws IOException {
        AtomicFiles.write(file, html().getBytes(StandardCharsets.UTF_8));
    }

    public String html() {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(escape(title)).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n<h1>").append(escape(title)).append("</h1>\n");
        b.append("<h2>Training</h2>\n<table class=\"settings\">\n");
        for (String[] row : settings) {
            b.append("<tr><th>").append(escape(row[0])).append("</th><td>").append(escape(row[1])).append("</td></tr>\n");
        }
        b.append("</table>\n");
        if (curves != null) {
            b.append("<h2>Loss and accuracy</h2>\n").append(img(curves, "loss and accuracy per epoch"));
        }
        if (confusion != null) {
            b.append("<h2>Confusion matrix</h2>\n").append(img(confusion, "confusion matrix"));
        }
        if (testConfusion != null) {
            b.append("<h2>Per class</h2>\n").append(perClass());
        }
        if (!misclassified.isEmpty()) {
            b.append("<h2>Misclassified ").append(escape(examplesName)).append(" images</h2>\n<p>The first ").append(misclassified.size())
                    .append(" the trained network gets wrong, in the order of the set.</p>\n").append(grid(misclassified));
        }
        b.append("<h2>Augmentation</h2>\n<p>").append(escape(augmentNote)).append("</p>\n");
        if (!augmented.isEmpty()) {
            b.append(grid(augmented));
        }
        b.append("<h2>Model</h2>\n<pre>").append(escape(summary)).append("</pre>\n");
        b.append("<details><summary>The .cnn file</summary>\n<pre>").append(escape(source)).append("</pre>\n</details>\n");
        b.append("<p class=\"foot\">Written by cnnc train.</p>\n<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
        return b.toString();
    }

    /** Precision, recall and F1 of each class from confusion[true][predicted]. */
    private String perClass() {
        StringBuilder b = new StringBuilder("<table class=\"classes\">\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>images</th></tr>\n");
        int k = testConfusion.length;
        for (int c = 0; c < k; c++) {
            long right = testConfusion[c][c], truth = 0, predicted = 0;
            for (int j = 0; j < k; j++) {
                truth += testConfusion[c][j];
                predicted += testConfusion[j][c];
            }
            double precision = predicted == 0 ? Double.NaN : right / (double) predicted;
            double recall = truth == 0 ? Double.NaN : right / (double) truth;
            double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : Double.NaN;
            b.append("<tr><td>").append(escape(classNames.get(c))).append("</td><td>").append(ratio(precision)).append("</td><td>")
                    .append(ratio(recall)).append("</td><td>").append(ratio(f1)).append("</td><td>").append(truth).append("</td></tr>\n");
        }
        return b.append("</table>\n").toString();
    }

    private static String ratio(double v) {
        return Double.isNaN(v) ? "&ndash;" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String grid(List<Example> examples) {
        StringBuilder b = new StringBuilder("<div class=\"grid\">\n");
        for (Example e : examples) {
            b.append("<figure>").append(img(e.image(), e.caption())).append("<figcaption>").append(escape(e.caption()))
                    .append("</figcaption></figure>\n");
        }
        return b.append("</div>\n").toString();
    }

    private static String img(BufferedImage image, String alt) {
        return "<img alt=\"" + escape(alt) + "\" width=\"" + image.getWidth() + "\" height=\"" + image.getHeight() + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Png.encode(image)) + "\">\n";
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String STYLE = """
            body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
            h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
            table { border-collapse: collapse; } th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid #eee; }
            table.classes td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
            pre { background: #f6f6f8; padding: 1em; overflow-x: auto; font-size: 12px; }
            .grid { display: flex; flex-wrap: wrap; gap: 10px; }
            figure { margin: 0; width: 120px; font-size: 12px; text-align: center; }
            figure img { image-rendering: pixelated; }
            .broken { outline: 3px solid red; }
            .foot { color: #888; font-size: 12px; }
            """;

    private static final String SCRIPT = """
            window.addEventListener("load", () => {
              const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0);
              broken.forEach(i => { i.classList.add("broken"); console.error("report.html: a picture did not load: " + i.alt); });
              document.body.dataset.images = document.images.length;
              document.body.dataset.broken = broken.length;
            });
            """;
}
