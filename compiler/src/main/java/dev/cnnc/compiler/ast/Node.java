package dev.cnnc.compiler.ast;

import dev.cnnc.compiler.diag.Span;
import java.util.List;

/** A line of a model body as written, before blocks and repeats are expanded. */
public sealed interface Node {
    Span span();

    /** {@code word arg arg ...}: a layer (or, in a train section, a setting). */
    record Statement(Value.Word name, List<Value> args, Span span) implements Node {
        public Statement {
            args = List.copyOf(args);
        }
    }

    /** {@code name(arg, arg)}: a call of a block. */
    record Call(Value.Word name, List<Value> args, Span span) implements Node {
        public Call {
            args = List.copyOf(args);
        }
    }

    record Repeat(Value count, List<Node> body, Span span) implements Node {
        public Repeat {
            body = List.copyOf(body);
        }
    }

    /**
     * {@code word { path } { path } ...}: paths that all start from the same input, joined by
     * {@code word} (concat, add, multiply; the checker decides what the word means). An empty
     * path is the identity.
     */
    record Join(Value.Word kind, List<List<Node>> paths, List<Span> pathSpans, Span span) implements Node {
        public Join {
            paths = paths.stream().map(List::copyOf).toList();
            pathSpans = List.copyOf(pathSpans);
        }
    }

    /** {@code residual { main } [shortcut { shortcut }]}; shortcut is null when absent (identity). */
    record Residual(List<Node> main, List<Node> shortcut, Span span, Span shortcutSpan) implements Node {
        public Residual {
            main = List.copyOf(main);
            shortcut = shortcut == null ? null : List.copyOf(shortcut);
        }
    }
}
