package dev.cnnc.compiler.ast;

import dev.cnnc.compiler.diag.Span;
import java.util.List;

/** {@code block name(p, q) { body }}. */
public record BlockDef(Value.Word name, List<Value.Word> params, List<Node> body, Span span) {
    public BlockDef {
        params = List.copyOf(params);
        body = List.copyOf(body);
    }
}
