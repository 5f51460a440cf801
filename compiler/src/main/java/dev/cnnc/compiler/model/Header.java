package dev.cnnc.compiler.model;

import dev.cnnc.compiler.diag.Span;

/** The model's name and input shape, once checked. Either may be null when the file lacks it. */
public record Header(String name, Span nameSpan, Shape input, Span inputSpan) {
}
