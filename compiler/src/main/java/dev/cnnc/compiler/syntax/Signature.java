package dev.cnnc.compiler.syntax;

import dev.cnnc.compiler.ast.Value;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.diag.Suggestions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The words a statement takes: positional values, then options in any order
 * ({@code stride 2}, {@code nobias}). One signature describes a layer kind or a train
 * setting; {@link #read} checks a statement against it and reports every problem it finds,
 * each with the usage line as a hint.
 */
public final class Signature {
    private record Param(String name, String metavar, ArgType type, boolean required, boolean list) {
    }

    private final String name;
    private final List<Param> positionals;
    private final Map<String, Param> options;

    private Signature(String name, List<Param> positionals, Map<String, Param> options) {
        this.name = name;
        this.positionals = List.copyOf(positionals);
        this.options = Map.copyOf(options);
        this.optionOrder = List.copyOf(options.keySet());
    }

    private final List<String> optionOrder;

    public static Builder of(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /** The option and flag words, e.g. for reserved-name checks. */
    public List<String> optionNames() {
        return optionOrder;
    }

    /** "conv F KxK [stride S] [pad P] [nobias]". */
    public String usage() {
        StringBuilder b = new StringBuilder(name);
        for (Param p : positionals) {
            b.append(' ').append(p.required ? p.metavar : "[" + p.metavar + "]");
        }
        for (String o : optionOrder) {
            Param p = options.get(o);
            b.append(" [").append(o);
            if (p.type != null) {
                b.append(' ').append(p.metavar).append(p.list ? "..." : "");
            }
            b.append(']');
        }
        return b.toString();
    }

    /**
     * Reads a statement's arguments. {@code shownAs} names the statement in messages
     * ("conv", "optimizer sgd"); problems are reported at the offending value.
     */
    public Args read(String shownAs, List<Value> values, Span at, Diagnostics diagnostics) {
        Args args = new Args(shownAs, at, diagnostics);
        int i = 0;
        for (Param p : positionals) {
            boolean present = i < values.size() && !(values.get(i) instanceof Value.Word w && options.containsKey(w.text()));
            if (present) {
                store(args, p, values.get(i), shownAs, diagnostics);
                i++;
            } else if (p.required) {
                diagnostics.at(i < values.size() ? values.get(i).span() : at, DiagnosticKind.MISSING_ARGUMENT,
                                shownAs, p.name + " (" + p.type.description() + ")")
                        .hint("usage: " + usage()).report();
                args.fail();
            }
        }
        while (i < values.size()) {
            Value v = values.get(i);
            Param option = v instanceof Value.Word w ? options.get(w.text()) : null;
            if (option == null) {
                if (v instanceof Value.Word w) {
                    Optional<String> near = Suggestions.closest(w.text(), optionOrder);
                    diagnostics.at(v.span(), DiagnosticKind.UNKNOWN_OPTION, shownAs, w.text())
                            .hint(near.map(s -> "did you mean " + s + "? usage: " + usage()).orElse("usage: " + usage()))
                            .report();
                    // Take a value after the unknown word as its argument ("strid 2"), not as a second mistake.
                    if (i + 1 < values.size() && !(values.get(i + 1) instanceof Value.Word)) {
                        i++;
                    }
                } else {
                    diagnostics.at(v.span(), DiagnosticKind.TOO_MANY_ARGUMENTS, shownAs, v.text())
                            .hint("usage: " + usage()).report();
                }
                args.fail();
                i++;
                continue;
            }
            if (args.has(option.name)) {
                diagnostics.at(v.span(), DiagnosticKind.DUPLICATE_OPTION, shownAs, option.name).hint("keep one of them").report();
                args.fail();
            }
            i++;
            if (option.type == null) {
                args.put(option.name, Boolean.TRUE);
                continue;
            }
            if (i >= values.size() || (values.get(i) instanceof Value.Word w && options.containsKey(w.text()))) {
                diagnostics.at(v.span(), DiagnosticKind.MISSING_ARGUMENT, shownAs + " " + option.name,
                        "a value (" + option.type.description() + ")").hint("usage: " + usage()).report();
                args.fail();
                continue;
            }
            if (!option.list) {
                store(args, option, values.get(i++), shownAs, diagnostics);
                continue;
            }
            List<Object> items = new ArrayList<>();
            args.putSpan(option.name, values.get(i).span());
            while (i < values.size() && !(values.get(i) instanceof Value.Word w && options.containsKey(w.text()))) {
                Object item = readOne(args, option, values.get(i++), shownAs, diagnostics);
                if (item != null) {
                    items.add(item);
                }
            }
            args.put(option.name, List.copyOf(items));
        }
        return args;
    }

    private static void store(Args args, Param p, Value v, String shownAs, Diagnostics diagnostics) {
        Object value = readOne(args, p, v, shownAs, diagnostics);
        if (value != null) {
            args.put(p.name, value);
            args.putSpan(p.name, v.span());
        }
    }

    private static Object readOne(Args args, Param p, Value v, String shownAs, Diagnostics diagnostics) {
        Object value = p.type.read(v);
        if (value instanceof ArgType.Problem problem) {
            if (problem.outOfRange()) {
                diagnostics.report(v.span(), DiagnosticKind.OUT_OF_RANGE, shownAs, p.name, problem.expected(), v.text());
            } else {
                diagnostics.report(v.span(), DiagnosticKind.BAD_ARGUMENT, shownAs, p.name, problem.expected(), v.text());
            }
            args.fail();
            return null;
        }
        return value;
    }

    public static final class Builder {
        private final String name;
        private final List<Param> positionals = new ArrayList<>();
        private final Map<String, Param> options = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
        }

        public Builder positional(String param, String metavar, ArgType type) {
            positionals.add(new Param(param, metavar, type, true, false));
            return this;
        }

        public Builder optionalPositional(String param, String metavar, ArgType type) {
            positionals.add(new Param(param, metavar, type, false, false));
            return this;
        }

        public Builder option(String option, String metavar, ArgType type) {
            options.put(option, new Param(option, metavar, type, false, false));
            return this;
        }

        /** An option followed by one or more values, up to the next option word. */
        public Builder listOption(String option, String metavar, ArgType type) {
            options.put(option, new Param(option, metavar, type, false, true));
            return this;
        }

        public Builder flag(String flag) {
            options.put(flag, new Param(flag, null, null, false, false));
            return this;
        }

        public Signature build() {
            return new Signature(name, positionals, options);
        }
    }
}
