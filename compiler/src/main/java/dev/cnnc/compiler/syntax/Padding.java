package dev.cnnc.compiler.syntax;

/** How a conv or pool pads: same (k-1)/2 per axis, valid (none), or explicit amounts per axis. */
public record Padding(Mode mode, int height, int width) {
    public enum Mode { SAME, VALID, EXPLICIT }

    public static final Padding SAME = new Padding(Mode.SAME, 0, 0);
    public static final Padding VALID = new Padding(Mode.VALID, 0, 0);

    public static Padding explicit(int height, int width) {
        return new Padding(Mode.EXPLICIT, height, width);
    }

    /** Padding per axis for a kernel; for SAME the kernel must be odd (the checker ensures it). */
    public int[] resolve(int kernelHeight, int kernelWidth) {
        return switch (mode) {
            case SAME -> new int[] {(kernelHeight - 1) / 2, (kernelWidth - 1) / 2};
            case VALID -> new int[] {0, 0};
            case EXPLICIT -> new int[] {height, width};
        };
    }

    @Override
    public String toString() {
        return switch (mode) {
            case SAME -> "same";
            case VALID -> "valid";
            case EXPLICIT -> height == width ? Integer.toString(height) : height + "x" + width;
        };
    }
}
