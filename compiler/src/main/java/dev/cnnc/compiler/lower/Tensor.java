package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.model.Shape;

/**
 * An activation of the plan. Spatial tensors live as [C][n][H][W] (channel-major over the
 * batch), flat ones as [n][F]. {@code id} names its buffers in generated code (t3, d3).
 */
public record Tensor(int id, Shape shape) {
    public long perExample() {
        return shape.elements();
    }
}
