package dev.cnnc.compiler.check;

import dev.cnnc.compiler.ast.ModelFile;
import dev.cnnc.compiler.ast.Value;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.model.Header;
import dev.cnnc.compiler.model.Shape;
import java.util.Set;

/** The 'model' and 'input' lines: present once each, input before the layers, a name Java can use. */
public final class DeclarationCheck {
    /** Java's reserved words and literals: a model name becomes a class name. */
    static final Set<String> JAVA_RESERVED = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
            "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
            "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
            "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
            "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
            "volatile", "while", "true", "false", "null", "var", "yield", "record", "sealed", "permits", "_");

    /** Class names in java.lang that generated code uses unqualified. */
    static final Set<String> JAVA_LANG_CLASHES = Set.of(
            "Object", "String", "Math", "System", "Float", "Double", "Integer", "Long", "Override",
            "Thread", "Runnable", "Exception", "RuntimeException", "Error", "Boolean", "Character");

    /** The model name becomes a Java class and file name; keep it well inside javac's and file systems' limits. */
    static final int MAX_NAME_LENGTH = 200;

    private DeclarationCheck() {
    }

    public static Header check(ModelFile file, Diagnostics diagnostics) {
        Span start = Span.startOf(file.file());
        if (file.models().isEmpty() && file.inputs().isEmpty() && file.layers().isEmpty() && file.blocks().isEmpty()
                && file.trainSections().isEmpty()) {
            if (!diagnostics.hasErrors()) {
                diagnostics.at(start, DiagnosticKind.EMPTY_FILE)
                        .hint("a model starts with two lines, 'model MyNet' and 'input 28x28x1', followed by its layers")
                        .report();
            }
            return new Header(null, null, null, null);
        }

        String name = null;
        Span nameSpan = null;
        if (file.models().isEmpty()) {
            diagnostics.at(start, DiagnosticKind.MISSING_MODEL).hint("add a first line such as 'model MyNet'").report();
        } else {
            ModelFile.ModelDecl first = file.models().get(0);
            for (ModelFile.ModelDecl extra : file.models().subList(1, file.models().size())) {
                diagnostics.at(extra.span(), DiagnosticKind.DUPLICATE_MODEL, first.name().text(), first.span().line())
                        .hint("one file describes one model; remove this line").report();
            }
            name = first.name().text();
            nameSpan = first.name().span();
            if (name.length() > MAX_NAME_LENGTH) {
                diagnostics.at(nameSpan, DiagnosticKind.BAD_MODEL_NAME, name.substring(0, 20) + "...",
                        "is " + name.length() + " characters long; the most is " + MAX_NAME_LENGTH)
                        .hint("choose a shorter name").report();
                name = null;
            } else if (JAVA_RESERVED.contains(name)) {
                diagnostics.at(nameSpan, DiagnosticKind.BAD_MODEL_NAME, name, "is a reserved word in Java, and the model becomes a Java class")
                        .hint("choose another name, e.g. " + Character.toUpperCase(name.charAt(0)) + name.substring(1) + "Net").report();
                name = null;
            } else if (JAVA_LANG_CLASHES.contains(name)) {
                diagnostics.at(nameSpan, DiagnosticKind.BAD_MODEL_NAME, name, "would hide java.lang." + name + " in the generated class")
                        .hint("choose another name, e.g. " + name + "Net").report();
                name = null;
            }
        }

        Shape input = null;
        Span inputSpan = null;
        if (file.inputs().isEmpty()) {
            diagnostics.at(start, DiagnosticKind.MISSING_INPUT)
                    .hint("add a line such as 'input 28x28x1' (height x width x channels) after the model line").report();
        } else {
            ModelFile.InputDecl first = file.inputs().get(0);
            for (ModelFile.InputDecl extra : file.inputs().subList(1, file.inputs().size())) {
                diagnostics.at(extra.span(), DiagnosticKind.DUPLICATE_INPUT, first.span().line())
                        .hint("a model has one input; remove this line").report();
            }
            inputSpan = first.span();
            input = inputShape(first, diagnostics);
            if (!file.layers().isEmpty()) {
                Span firstLayer = file.layers().get(0).span();
                if (before(firstLayer, first.span())) {
                    diagnostics.at(firstLayer, DiagnosticKind.LAYER_BEFORE_INPUT, firstWord(file))
                            .hint("move the 'input' line (line " + first.span().line() + ") above the first layer").report();
                }
            }
        }
        // After a syntax error the layers may have been swallowed by it: say nothing more.
        if (file.layers().isEmpty() && name != null && !diagnostics.hasErrors()) {
            diagnostics.at(nameSpan, DiagnosticKind.NO_LAYERS, name).hint("add layers after the 'input' line, e.g. 'dense 10'").report();
        }
        return new Header(name, nameSpan, input, inputSpan);
    }

    private static Shape inputShape(ModelFile.InputDecl decl, Diagnostics diagnostics) {
        Span at = decl.values().isEmpty() ? decl.span() : decl.values().get(0).span();
        String written = decl.values().stream().map(Value::text).reduce((a, b) -> a + " " + b).orElse("nothing");
        if (decl.values().size() == 1 && decl.values().get(0) instanceof Value.Dim d && d.sizes().size() == 3
                && d.sizes().stream().allMatch(s -> s >= 1 && s <= Integer.MAX_VALUE)) {
            Shape shape = Shape.spatial(d.sizes().get(0), d.sizes().get(1), d.sizes().get(2));
            // Exact: three int-sized factors can overflow a long.
            java.math.BigInteger elements = java.math.BigInteger.valueOf(shape.height())
                    .multiply(java.math.BigInteger.valueOf(shape.width())).multiply(java.math.BigInteger.valueOf(shape.channels()));
            if (elements.compareTo(java.math.BigInteger.valueOf(ShapeChecker.MAX_ELEMENTS)) > 0) {
                diagnostics.at(at, DiagnosticKind.TENSOR_TOO_LARGE, "input", shape, String.format("%,d", elements),
                        ShapeChecker.MAX_ELEMENTS).hint("resize the images before training").report();
                return null;
            }
            return shape;
        }
        if (decl.values().size() == 1 && decl.values().get(0) instanceof Value.Num n && n.isWholeIn(1, Integer.MAX_VALUE)) {
            return Shape.flat(n.value().longValueExact());
        }
        String hint = decl.values().size() == 1 && decl.values().get(0) instanceof Value.Dim d && d.sizes().size() == 2
                ? "add the number of channels: input " + d.text() + "x1 for grey images, " + d.text() + "x3 for colour"
                : "each size must be a whole number from 1 to " + Integer.MAX_VALUE;
        diagnostics.at(at, DiagnosticKind.BAD_INPUT, written).hint(hint).report();
        return null;
    }

    private static boolean before(Span a, Span b) {
        return a.line() < b.line() || (a.line() == b.line() && a.column() < b.column());
    }

    private static String firstWord(ModelFile file) {
        dev.cnnc.compiler.ast.Node first = file.layers().get(0);
        if (first instanceof dev.cnnc.compiler.ast.Node.Statement s) {
            return s.name().text();
        }
        if (first instanceof dev.cnnc.compiler.ast.Node.Call c) {
            return c.name().text();
        }
        return first instanceof dev.cnnc.compiler.ast.Node.Repeat ? "repeat" : "residual";
    }
}
