package dev.cnnc.compiler.model;

import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.LayerSpec;
import java.util.List;

/**
 * The layer graph after blocks and repeats are expanded: a sequence of layers, where a
 * residual is a fork into two paths (the shortcut null for identity) joined by an add.
 */
public sealed interface LayerNode {
    Span span();

    /** {@code via} says which block calls produced the layer ("in block vgg called at line 9"), or null. */
    record Layer(LayerSpec spec, Span span, String via) implements LayerNode {
    }

    /**
     * A layer that could not be read (unknown word, bad arguments; already reported). Shape
     * checking stops at it silently: every shape after it would be a guess.
     */
    record Unreadable(Span span) implements LayerNode {
    }

    /** Paths from one input joined by {@code kind}; an empty path is the identity. */
    record Join(JoinKind kind, List<List<LayerNode>> paths, List<Span> pathSpans, Span span) implements LayerNode {
        public Join {
            paths = paths.stream().map(List::copyOf).toList();
            pathSpans = List.copyOf(pathSpans);
        }
    }

    record Residual(List<LayerNode> main, List<LayerNode> shortcut, Span span, Span shortcutSpan) implements LayerNode {
        public Residual {
            main = List.copyOf(main);
            shortcut = shortcut == null ? null : List.copyOf(shortcut);
        }
    }
}
