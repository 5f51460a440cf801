package dev.cnnc.compiler.diag;

/**
 * Every diagnostic cnnc can report, with a stable code. Codes never change meaning and are
 * never reused; add new kinds at the end of their group. Messages are String.format
 * templates, filled in by the stage that reports them.
 *
 * <p>Files that cannot be read at all (missing, a directory, over 4 MiB) are reported by the
 * caller before checking starts, not with a code. Groups: 1xx syntax, 2xx declarations and layer arguments, 25x blocks and
 * repeats, 3xx shapes and sizes, 4xx the train section, 9xx internal.
 */
public enum DiagnosticKind {
    // 1xx: reading and syntax
    UNEXPECTED_CHARACTER("E102", Severity.ERROR, "unexpected character %s"),
    SYNTAX("E103", Severity.ERROR, "%s"),
    NESTING_TOO_DEEP("E104", Severity.ERROR, "braces nest more than %d deep"),
    TOO_MANY_ERRORS("E105", Severity.ERROR, "too many errors; stopped after %d"),
    EMPTY_FILE("E106", Severity.ERROR, "the file has no model"),

    // 2xx: declarations and layer arguments
    MISSING_MODEL("E200", Severity.ERROR, "missing 'model NAME' line"),
    DUPLICATE_MODEL("E201", Severity.ERROR, "a second 'model' line; the model is already named %s at line %d"),
    BAD_MODEL_NAME("E202", Severity.ERROR, "model name '%s' %s"),
    MISSING_INPUT("E203", Severity.ERROR, "missing 'input HxWxC' line"),
    DUPLICATE_INPUT("E204", Severity.ERROR, "a second 'input' line; the input is already declared at line %d"),
    BAD_INPUT("E205", Severity.ERROR, "input must be HxWxC (for example 28x28x1) or a feature count, but is %s"),
    LAYER_BEFORE_INPUT("E206", Severity.ERROR, "layer '%s' comes before the 'input' line"),
    UNKNOWN_LAYER("E210", Severity.ERROR, "unknown layer '%s'"),
    UNKNOWN_OPTION("E211", Severity.ERROR, "%s has no option '%s'"),
    MISSING_ARGUMENT("E212", Severity.ERROR, "%s needs %s"),
    BAD_ARGUMENT("E213", Severity.ERROR, "%s: %s must be %s, but is '%s'"),
    DUPLICATE_OPTION("E214", Severity.ERROR, "%s: option '%s' is given twice"),
    OUT_OF_RANGE("E215", Severity.ERROR, "%s: %s must be %s, but is %s"),
    TOO_MANY_ARGUMENTS("E216", Severity.ERROR, "%s: unexpected argument '%s'"),
    NO_LAYERS("E217", Severity.ERROR, "model %s has no layers"),

    // 25x: blocks and repeats
    UNKNOWN_BLOCK("E250", Severity.ERROR, "unknown block '%s'"),
    DUPLICATE_BLOCK("E251", Severity.ERROR, "block '%s' is already defined at line %d"),
    WRONG_ARGUMENT_COUNT("E252", Severity.ERROR, "block '%s' takes %d argument%s, but is called with %d"),
    RECURSIVE_BLOCK("E253", Severity.ERROR, "block '%s' calls itself: %s"),
    DUPLICATE_PARAMETER("E254", Severity.ERROR, "block '%s' has two parameters named '%s'"),
    RESERVED_NAME("E255", Severity.ERROR, "'%s' cannot name a %s: it is a %s"),
    TOO_MANY_LAYERS("E256", Severity.ERROR, "the model expands to more than %,d layers"),
    BLOCKS_TOO_DEEP("E257", Severity.ERROR, "blocks call each other more than %d deep"),
    BAD_REPEAT_COUNT("E258", Severity.ERROR, "repeat count must be a whole number from 1 to %,d, but is %s"),
    BLOCK_WITHOUT_CALL("E259", Severity.ERROR, "'%s' is a block; call it with arguments in parentheses: %s"),
    LAYER_CALLED_LIKE_BLOCK("E260", Severity.ERROR, "'%s' is a layer, not a block; write its arguments without parentheses"),
    UNUSED_BLOCK("W261", Severity.WARNING, "block '%s' is never used"),
    UNKNOWN_JOIN("E262", Severity.ERROR, "unknown join '%s'"),

    // 3xx: shapes and sizes
    INPUT_TOO_SMALL("E300", Severity.ERROR, "%s needs at least %s input, but gets %s"),
    NEEDS_SPATIAL_INPUT("E301", Severity.ERROR, "%s needs an HxWxC input, but gets %s features"),
    NEEDS_FLAT_INPUT("E302", Severity.ERROR, "%s needs a flat input, but gets %s"),
    EVEN_KERNEL_SAME_PADDING("E303", Severity.ERROR, "pad same needs an odd kernel, but %s has %s"),
    RESIDUAL_SHAPE_MISMATCH("E304", Severity.ERROR, "residual paths end in different shapes: %s"),
    TENSOR_TOO_LARGE("E305", Severity.ERROR, "%s: %s has %s elements; cnnc supports at most %,d"),
    PADDING_TOO_LARGE("E306", Severity.ERROR, "%s: padding %s must be at most half the window %s"),
    SOFTMAX_NOT_LAST("W307", Severity.WARNING, "softmax is not the last layer"),
    SIZE_OVERFLOW("E308", Severity.ERROR, "%s: %s is too large to count"),
    JOIN_NEEDS_PATHS("E309", Severity.ERROR, "%s joins %d path; it needs two or more"),
    JOIN_SHAPE_MISMATCH("E310", Severity.ERROR, "%s paths end in shapes that do not join: %s"),
    GROUPS_DO_NOT_DIVIDE("E311", Severity.ERROR, "%s: %d input channels and %d filters do not split into %d groups"),
    CHANNELS_DO_NOT_SPLIT("E312", Severity.ERROR, "%s: %d channels do not split into %d equal parts"),
    PRELU_SLOPES("E313", Severity.ERROR, "%s: %d slopes for %d channels; PReLU takes 1 or one a channel"),

    // 4xx: the train section
    UNKNOWN_TRAIN_KEY("E400", Severity.ERROR, "unknown train setting '%s'"),
    DUPLICATE_TRAIN_KEY("E401", Severity.ERROR, "train setting '%s' is already given at line %d"),
    MISSING_LOSS("E402", Severity.ERROR, "the train section has no 'loss'"),
    MISSING_OPTIMIZER("E403", Severity.ERROR, "the train section has no 'optimizer'"),
    UNKNOWN_CHOICE("E404", Severity.ERROR, "unknown %s '%s'"),
    DUPLICATE_TRAIN_SECTION("E405", Severity.ERROR, "a second train section; the first is at line %d"),
    INCOMPATIBLE_SETTING("E406", Severity.ERROR, "%s"),
    UNKNOWN_FROZEN_LAYER("E407", Severity.ERROR, "freeze: %s has no layer named '%s'"),

    // 9xx: internal
    INTERNAL("E900", Severity.ERROR, "internal compiler error: %s");

    private final String code;
    private final Severity severity;
    private final String template;

    DiagnosticKind(String code, Severity severity, String template) {
        this.code = code;
        this.severity = severity;
        this.template = template;
    }

    public String code() {
        return code;
    }

    public Severity severity() {
        return severity;
    }

    public String format(Object... args) {
        return String.format(java.util.Locale.ROOT, template, args);
    }
}
