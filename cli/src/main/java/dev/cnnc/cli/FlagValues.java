package dev.cnnc.cli;

import dev.cnnc.compiler.syntax.ArgType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Picocli converters for numeric flags. Each reads the flag's text through {@link ArgType}, the
 * same reader and ranges as the train section of a .cnn file, so {@code --lr -1} and {@code lr -1}
 * are refused for the same reason; a bad value stops the command line before anything is read.
 */
final class FlagValues {
    /** The most threads a command starts: beyond this the OS runs out of threads long before any gain. */
    static final int MAX_THREADS = Math.max(256, 4 * Runtime.getRuntime().availableProcessors());

    private FlagValues() {
    }

    /** The typed value of {@code text} as {@code type} reads it, or a conversion error naming the range. */
    static Object read(ArgType type, String text) {
        Object v = type.readText(text, "command line");
        if (v instanceof ArgType.Problem p) {
            // the upper end of a range only matters to a value past it
            boolean huge = text.strip().matches("\\+?[0-9]{10,}.*");
            String range = huge && p.outOfRange() && !p.expected().equals(type.description()) ? " (" + p.expected() + ")" : "";
            throw new TypeConversionException("'" + text + "' " + (p.outOfRange() ? "is out of range" : "is not a number")
                    + ": expected " + type.description() + range);
        }
        return v;
    }

    /** A converter reading one ArgType; each flag kind below is one line. */
    abstract static class Typed<T> implements ITypeConverter<T> {
        private final ArgType type;
        private final java.util.function.Function<Object, T> cast;

        Typed(ArgType type, java.util.function.Function<Object, T> cast) {
            this.type = type;
            this.cast = cast;
        }

        @Override
        public T convert(String text) {
            return cast.apply(read(type, text));
        }
    }

    /** A whole number from 1 (a count: epochs, batch, steps, top classes). */
    static final class Count extends Typed<Integer> {
        Count() {
            super(ArgType.COUNT, v -> (Integer) v);
        }
    }

    /** A count held in a long field. */
    static final class LongCount extends Typed<Long> {
        LongCount() {
            super(ArgType.COUNT, v -> (long) (Integer) v);
        }
    }

    /** A whole number from 0 (0 turns the thing off, as --report-every 0). */
    static final class Natural extends Typed<Integer> {
        Natural() {
            super(ArgType.NATURAL, v -> (Integer) v);
        }
    }

    /** A seed: a whole number from 0 to 2^63-1, as the file's seed. */
    static final class Seed extends Typed<Long> {
        Seed() {
            super(ArgType.LONG, v -> (Long) v);
        }
    }

    /** A finite number greater than 0 (learning rate, seconds). */
    static final class Positive extends Typed<Double> {
        Positive() {
            super(ArgType.POSITIVE, v -> (Double) v);
        }
    }

    /** A finite number of at least 0 (warm-up seconds). */
    static final class NonNegative extends Typed<Double> {
        NonNegative() {
            super(ArgType.NON_NEGATIVE, v -> (Double) v);
        }
    }

    /** A number strictly between 0 and 1 (a held-out fraction). */
    static final class Fraction extends Typed<Double> {
        Fraction() {
            super(ArgType.FRACTION, v -> (Double) v);
        }
    }

    /** Threads: from 1 to {@link #MAX_THREADS}. */
    static final class Threads implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            int n = (Integer) read(ArgType.COUNT, text);
            if (n > MAX_THREADS) {
                throw new TypeConversionException("'" + text + "' is out of range: expected from 1 to " + MAX_THREADS
                        + " (this machine has " + Runtime.getRuntime().availableProcessors() + " cores)");
            }
            return n;
        }
    }
}
