package dev.cnnc.compiler.syntax;

import dev.cnnc.compiler.ast.Value;
import dev.cnnc.compiler.diag.Span;
import java.util.List;

/**
 * The kinds of value a layer or train setting accepts. {@link #read} answers the typed value,
 * or a {@link Problem} saying whether the value has the wrong form or is out of range.
 */
public enum ArgType {
    /** A whole number from 1 to 2^31-1: filter, feature and repeat counts. */
    COUNT("a whole number of at least 1"),
    /** A whole number from 0 to 2^31-1. */
    NATURAL("a whole number of at least 0"),
    /** A whole number from 0 to 2^63-1 (seeds). */
    LONG("a whole number of at least 0"),
    /** 3 or 3x5: a size per spatial axis, each at least 1. */
    SIZE("a size such as 3 or 3x5"),
    /** same, valid, 1 or 1x2. */
    PADDING("same, valid, or a number such as 1 or 1x2"),
    /** A number p with 0 <= p < 1. */
    PROBABILITY("a number from 0 up to (not including) 1"),
    /** Any number >= 0, written as a decimal or a ratio. */
    NON_NEGATIVE("a number of at least 0"),
    /** Any number > 0, written as a decimal or a ratio. */
    POSITIVE("a number greater than 0"),
    /** A number f with 0 < f < 1 (a held-out fraction). */
    FRACTION("a number between 0 and 1 (both excluded)"),
    /** Any finite number. */
    REAL("a number");

    /** Why a value was refused; {@code outOfRange} is false when the form itself is wrong. */
    public record Problem(String expected, boolean outOfRange) {
    }

    private final String description;

    ArgType(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The typed value (Integer, Long, Double, int[2] or Padding) or a Problem. */
    public Object read(Value v) {
        switch (this) {
            case COUNT, NATURAL -> {
                long min = this == COUNT ? 1 : 0;
                if (!(v instanceof Value.Num n) || !n.isWhole()) {
                    return wrongForm();
                }
                return n.isWholeIn(min, Integer.MAX_VALUE) ? (Object) n.value().intValueExact()
                        : new Problem((min == 1 ? "from 1" : "from 0") + " to " + Integer.MAX_VALUE, true);
            }
            case LONG -> {
                if (!(v instanceof Value.Num n) || !n.isWhole()) {
                    return wrongForm();
                }
                return n.isWholeIn(0, Long.MAX_VALUE) ? (Object) n.value().longValueExact()
                        : new Problem("from 0 to " + Long.MAX_VALUE, true);
            }
            case SIZE -> {
                return size(v, 1);
            }
            case PADDING -> {
                if (v instanceof Value.Word w && (w.text().equals("same") || w.text().equals("valid"))) {
                    return w.text().equals("same") ? Padding.SAME : Padding.VALID;
                }
                Object s = size(v, 0);
                return s instanceof int[] p ? Padding.explicit(p[0], p[1]) : s;
            }
            case PROBABILITY, NON_NEGATIVE, POSITIVE, FRACTION, REAL -> {
                Double d = number(v);
                if (d == null) {
                    return wrongForm();
                }
                boolean ok = switch (this) {
                    case PROBABILITY -> d >= 0 && d < 1;
                    case NON_NEGATIVE -> d >= 0;
                    case POSITIVE -> d > 0;
                    case FRACTION -> d > 0 && d < 1;
                    default -> true;
                };
                return ok && Double.isFinite(d) ? (Object) d : new Problem(description, true);
            }
            default -> throw new AssertionError(this);
        }
    }

    /**
     * A value written on the command line (a flag's text), read the way the same value is read in
     * a .cnn file: decimals, exponents and ratios such as 1/255, with the same ranges. This is the
     * one place both forms are checked, so the two can never disagree.
     */
    public Object readText(String text, String where) {
        Span span = Span.startOf(where);
        String t = text.strip();
        int slash = t.indexOf('/');
        try {
            if (slash > 0 && this != SIZE && this != PADDING) {
                Value.Num a = new Value.Num(t.substring(0, slash), new java.math.BigDecimal(t.substring(0, slash)), span);
                Value.Num b = new Value.Num(t.substring(slash + 1), new java.math.BigDecimal(t.substring(slash + 1)), span);
                if (b.value().signum() == 0) {
                    return wrongForm();
                }
                return read(new Value.Ratio(t, a, b, span));
            }
            if (t.matches("[0-9]+x[0-9]+")) {
                String[] parts = t.split("x");
                return read(new Value.Dim(t, List.of(clampedLong(parts[0]), clampedLong(parts[1])), span));
            }
            if (!t.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                return this == PADDING && t.matches("same|valid") ? read(new Value.Word(t, span)) : wrongForm();
            }
            return read(new Value.Num(t, new java.math.BigDecimal(t), span));
        } catch (NumberFormatException | ArithmeticException e) {
            return wrongForm();
        }
    }

    private static long clampedLong(String digits) {
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private Problem wrongForm() {
        return new Problem(description, false);
    }

    private Object size(Value v, long min) {
        List<Long> sizes;
        if (v instanceof Value.Num n && n.isWhole()) {
            if (!n.isWholeIn(min, Integer.MAX_VALUE)) {
                return new Problem("from " + min + " to " + Integer.MAX_VALUE, true);
            }
            int s = n.value().intValueExact();
            return new int[] {s, s};
        } else if (v instanceof Value.Dim d && d.sizes().size() == 2) {
            sizes = d.sizes();
        } else {
            return wrongForm();
        }
        for (long s : sizes) {
            if (s < min || s > Integer.MAX_VALUE) {
                return new Problem("from " + min + " to " + Integer.MAX_VALUE + " on each axis", true);
            }
        }
        return new int[] {(int) (long) sizes.get(0), (int) (long) sizes.get(1)};
    }

    private static Double number(Value v) {
        if (v instanceof Value.Num n) {
            return n.asDouble();
        }
        if (v instanceof Value.Ratio r) {
            return r.asDouble();
        }
        return null;
    }
}
