package dev.cnnc.compiler.model;

import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.LayerSpec;
import java.util.List;

/** A layer (or residual) with everything the checker derived: shapes, parameter counts, FLOPs. */
public sealed interface CheckedNode {
    String name();

    Span span();

    Shape input();

    Shape output();

    /**
     * One layer. {@code name} numbers each kind in order of appearance after expansion
     * (conv1, conv2, dense1): the prefix of its tensors in safetensors files.
     */
    record Layer(String name, LayerSpec spec, Span span, Shape input, Shape output,
                 long trainableParams, long nonTrainableParams, long flops) implements CheckedNode {
    }

    /**
     * Paths from one input joined by {@code kind} (an empty path is the identity); {@code ends}
     * holds each path's output shape, {@code flops} the join's own.
     */
    record Join(String name, Span span, JoinKind kind, Shape input, Shape output, List<List<CheckedNode>> paths, List<Shape> ends,
                long flops) implements CheckedNode {
        public Join {
            paths = paths.stream().map(List::copyOf).toList();
            ends = List.copyOf(ends);
        }
    }

    /** A residual: {@code output = main(input) + shortcut(input)}; an empty shortcut is the identity. */
    record Residual(String name, Span span, Shape input, Shape output, List<CheckedNode> main,
                    List<CheckedNode> shortcut, long addFlops) implements CheckedNode {
        public Residual {
            main = List.copyOf(main);
            shortcut = List.copyOf(shortcut);
        }
    }
}
