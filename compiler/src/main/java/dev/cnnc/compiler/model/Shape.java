package dev.cnnc.compiler.model;

/**
 * The shape of one example as it flows between layers: spatial HxWxC, or flat (N features).
 * Printed as the literature writes it ("28x28x1", "128"); the memory layout is the backend's choice.
 */
public record Shape(long height, long width, long channels, boolean flat) {
    public static Shape spatial(long height, long width, long channels) {
        return new Shape(height, width, channels, false);
    }

    public static Shape flat(long features) {
        return new Shape(1, 1, features, true);
    }

    /** Number of values per example; throws ArithmeticException on overflow (the checker reports it). */
    public long elements() {
        return Math.multiplyExact(Math.multiplyExact(height, width), channels);
    }

    @Override
    public String toString() {
        return flat ? Long.toString(channels) : height + "x" + width + "x" + channels;
    }
}
