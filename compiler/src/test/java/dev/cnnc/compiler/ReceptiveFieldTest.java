package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.report.Summary;
import org.junit.jupiter.api.Test;

/**
 * The receptive field the summary prints, against the textbook recurrence r' = r + (k - 1) j,
 * j' = j s worked by hand: dilation widens k to d(k - 1) + 1, strides multiply the jump, a join
 * sees as far as its farthest path, and VGG-16's last pool sees 212x212 (the figure quoted for it).
 */
class ReceptiveFieldTest {
    private static double[] field(String body) {
        CheckResult r = Frontend.check(new SourceFile("rf.cnn", "model RF\n" + body + "\n"));
        assertTrue(r.ok(), () -> r.diagnostics().toString());
        return Summary.receptiveField(r.model().nodes(), new double[] {1, 1, 1, 1});
    }

    @Test
    void followsTheRecurrence() {
        // 3, then + 2 * 1 = 5
        assertArrayEquals(new double[] {5, 1, 5, 1}, field("input 20x20x1\nconv 2 3x3; conv 2 3x3"));
        // dilation 2: a 3x3 spans 5; then a stride-2 3x1 adds 2 rows at jump 1, and the jump doubles
        assertArrayEquals(new double[] {7, 2, 5, 2}, field("input 20x20x1\nconv 2 3x3 dilation 2; conv 2 3x1 stride 2"));
        // a pool of 2 at stride 2 after a 3x3: 3 + 1 = 4 at jump 2; then a 3x3: 4 + 2 * 2 = 8
        assertArrayEquals(new double[] {8, 2, 8, 2}, field("input 20x20x1\nconv 2 3x3 pad 1; maxpool 2; conv 2 3x3"));
        // the farthest path of a concat: a 5x5 beside a 1x1
        assertArrayEquals(new double[] {5, 1, 5, 1}, field("input 20x20x2\nconcat { conv 2 1x1 } { conv 2 5x5 pad 2 }"));
        // flat layers end it
        assertArrayEquals(new double[] {3, 1, 3, 1}, field("input 8x8x1\nconv 2 3x3; flatten; dense 3"));
    }

    @Test
    void vgg16SeesTheFigureQuotedForIt() throws Exception {
        CheckResult r = Frontend.check(SourceFiles.read(java.nio.file.Path.of("../samples/vgg16.cnn")));
        assertTrue(Summary.render(r.model()).contains("Receptive field: 212x212 input pixels"), Summary.render(r.model()));
    }
}
