package dev.cnnc.compiler.ast;

import dev.cnnc.compiler.diag.Span;
import java.math.BigDecimal;
import java.util.List;

/** One argument as written: a word, a number, a dimension like 3x3, a ratio like 1/255, or a comma. */
public sealed interface Value {
    Span span();

    /** The value as the user wrote it, for messages. */
    String text();

    record Word(String text, Span span) implements Value {
    }

    /** A number; {@code value} is exact, so huge literals are caught by range checks instead of wrapping. */
    record Num(String text, BigDecimal value, Span span) implements Value {
        public boolean isWhole() {
            return value.signum() == 0 || value.stripTrailingZeros().scale() <= 0;
        }

        /** Whether the number is whole and lies in [min, max]; never builds a huge BigInteger. */
        public boolean isWholeIn(long min, long max) {
            if (!isWhole()) {
                return false;
            }
            BigDecimal v = value.stripTrailingZeros();
            if (v.precision() - v.scale() > 19) {
                return false;
            }
            return v.compareTo(BigDecimal.valueOf(min)) >= 0 && v.compareTo(BigDecimal.valueOf(max)) <= 0;
        }

        public double asDouble() {
            BigDecimal v = value.stripTrailingZeros();
            // Exponents far outside double's range: answer infinity or zero without a costly conversion.
            if (v.precision() - v.scale() > 400) {
                return v.signum() * Double.POSITIVE_INFINITY;
            }
            if (v.precision() - v.scale() < -400) {
                return 0.0;
            }
            return v.doubleValue();
        }
    }

    /** HxW or HxWxC; each size is clamped to Long.MAX_VALUE so range checks can reject it. */
    record Dim(String text, List<Long> sizes, Span span) implements Value {
        public Dim {
            sizes = List.copyOf(sizes);
        }
    }

    record Ratio(String text, Num numerator, Num denominator, Span span) implements Value {
        public double asDouble() {
            return numerator.asDouble() / denominator.asDouble();
        }
    }

    record Comma(Span span) implements Value {
        @Override
        public String text() {
            return ",";
        }
    }
}
