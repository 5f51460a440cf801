package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;

/** What a layer's shape rule can ask of the checker: report a problem (with the trail of shapes) and stop. */
public interface ShapeRules {
    /** Reports a shape error at the layer and answers null, for {@code return rules.fail(...)}. */
    Shape fail(String hint, DiagnosticKind kind, Object... args);
}
