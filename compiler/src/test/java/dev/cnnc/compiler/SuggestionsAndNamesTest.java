package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.diag.Suggestions;
import dev.cnnc.compiler.layers.LayerKinds;
import dev.cnnc.compiler.model.CheckedNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsAndNamesTest {
    @Test
    void suggestsCloseWordsOnly() {
        assertEquals("maxpool", Suggestions.closest("maxpol", LayerKinds.words()).orElseThrow());
        assertEquals("dropout", Suggestions.closest("droput", LayerKinds.words()).orElseThrow());
        assertEquals("batchnorm", Suggestions.closest("BatchNorm", LayerKinds.words()).orElseThrow());
        assertEquals("relu", Suggestions.closest("rleu", LayerKinds.words()).orElseThrow());
        assertFalse(Suggestions.closest("frobnicate", LayerKinds.words()).isPresent());
        assertFalse(Suggestions.closest("x", List.of("fc")).isPresent());
    }

    @Test
    void layersAreNumberedPerKindInOrderAfterExpansion() {
        String src = "model N\ninput 8x8x1\nblock b(n) { conv n 3x3 pad same; relu }\nb(2); b(3)\n"
                + "residual { conv 3 3x3 pad same } shortcut { conv 3 1x1 }\nflatten; fc 4; dense 2\n";
        CheckResult r = Frontend.check(new SourceFile("n.cnn", src));
        assertTrue(r.ok(), GoldenTest.render(r));
        List<String> names = r.model().layers().stream().map(CheckedNode.Layer::name).toList();
        assertEquals(List.of("conv1", "relu1", "conv2", "relu2", "conv3", "conv4", "flatten1", "dense1", "dense2"), names);
    }

    @Test
    void blockArgumentsReachNestedBlocks() {
        String src = "model N\ninput 8x8x1\nblock inner(k) { conv k 3x3 pad same }\nblock outer(m, times) { repeat times { inner(m) } }\n"
                + "outer(5, 3)\n";
        CheckResult r = Frontend.check(new SourceFile("n.cnn", src));
        assertTrue(r.ok(), GoldenTest.render(r));
        assertEquals(3, r.model().layers().size());
        assertEquals("8x8x5", r.model().output().toString());
        assertEquals((9 * 1 + 1) * 5 + 2 * (9 * 5 + 1) * 5, r.model().trainableParams());
    }
}
