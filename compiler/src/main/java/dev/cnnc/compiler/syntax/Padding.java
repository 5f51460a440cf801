package dev.cnnc.compiler.syntax;

/**
 * How a conv or pool pads: same ((k-1)/2 on every side), valid (none), or explicit amounts, which
 * may differ per side ({@code pad 0 1 0 1}: top, bottom, left, right, as Keras' ((top, bottom),
 * (left, right)); darknet's stride-1 maxpool and TF's 'same' at stride 2 pad one side more).
 */
public record Padding(Mode mode, int top, int bottom, int left, int right) {
    public enum Mode { SAME, VALID, EXPLICIT }

    public static final Padding SAME = new Padding(Mode.SAME, 0, 0, 0, 0);
    public static final Padding VALID = new Padding(Mode.VALID, 0, 0, 0, 0);

    /** The same amount above and below ({@code height}), and left and right ({@code width}). */
    public static Padding explicit(int height, int width) {
        return new Padding(Mode.EXPLICIT, height, height, width, width);
    }

    public static Padding sides(int top, int bottom, int left, int right) {
        return new Padding(Mode.EXPLICIT, top, bottom, left, right);
    }

    /** Whether both sides of each axis pad alike (what torch's padding= can say). */
    public boolean symmetric() {
        return top == bottom && left == right;
    }

    /** The padding above and left of a kernel's input: {top, left}; for SAME the span must be odd (the checker ensures it). */
    public int[] resolve(int kernelHeight, int kernelWidth) {
        int[] s = sides(kernelHeight, kernelWidth);
        return new int[] {s[0], s[2]};
    }

    /** All four sides for a kernel: {top, bottom, left, right}. */
    public int[] sides(int kernelHeight, int kernelWidth) {
        return switch (mode) {
            case SAME -> new int[] {(kernelHeight - 1) / 2, (kernelHeight - 1) / 2, (kernelWidth - 1) / 2, (kernelWidth - 1) / 2};
            case VALID -> new int[] {0, 0, 0, 0};
            case EXPLICIT -> new int[] {top, bottom, left, right};
        };
    }

    /** Whether no side pads. */
    public boolean none() {
        return mode == Mode.VALID || (mode == Mode.EXPLICIT && top == 0 && bottom == 0 && left == 0 && right == 0);
    }

    @Override
    public String toString() {
        return switch (mode) {
            case SAME -> "same";
            case VALID -> "valid";
            case EXPLICIT -> !symmetric() ? top + " " + bottom + " " + left + " " + right
                    : top == left ? Integer.toString(top) : top + "x" + left;
        };
    }
}
