package dev.cnnc.compiler.parse;

import dev.cnnc.compiler.ast.ModelFile;
import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.grammar.CnnLexer;
import dev.cnnc.grammar.CnnParser;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;

/**
 * Stage 1: text to AST. Reports stray characters, refuses absurd nesting before the
 * recursive-descent parser could overflow the stack, then parses and builds the AST.
 * Always returns a ModelFile (possibly empty) so later stages can report more problems.
 */
public final class SourceParser {
    /** Deeper nesting than this is certainly a mistake, and the limit bounds every recursion after it. */
    public static final int MAX_NESTING = 100;

    private SourceParser() {
    }

    public static ModelFile parse(SourceFile source, Diagnostics diagnostics) {
        String file = source.name();
        CnnLexer lexer = new CnnLexer(CharStreams.fromString(source.text(), file));
        lexer.removeErrorListeners(); // the lexer cannot fail: stray characters become UNEXPECTED_CHAR
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();

        Deque<Token> open = new ArrayDeque<>();
        for (Token t : tokens.getTokens()) {
            if (t.getType() == CnnLexer.UNEXPECTED_CHAR) {
                diagnostics.at(spanOf(file, t), DiagnosticKind.UNEXPECTED_CHARACTER, DiagnosticRenderer.describeChar(t.getText()))
                        .hint(lookalike(t.getText()) != null ? "write " + lookalike(t.getText()) + " instead"
                                : t.getText().equals("$") || Character.isLetter(t.getText().codePointAt(0))
                                ? "names may contain only the letters A-Z and a-z, digits and '_'"
                                : null)
                        .report();
            } else if (t.getType() == CnnLexer.LBRACE) {
                open.push(t);
                if (open.size() > MAX_NESTING) {
                    diagnostics.at(spanOf(file, t), DiagnosticKind.NESTING_TOO_DEEP, MAX_NESTING)
                            .hint("flatten the model: a block can call other blocks instead of nesting them")
                            .report();
                    return empty(file);
                }
            } else if (t.getType() == CnnLexer.RBRACE && !open.isEmpty()) {
                open.pop();
            }
            if (diagnostics.isFull()) {
                return empty(file);
            }
        }

        CnnParser parser = new CnnParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(new SyntaxErrors(file, diagnostics, open.isEmpty() ? null : open.peek()));
        CnnParser.FileContext tree;
        try {
            tree = parser.file();
        } catch (SyntaxErrors.Abort tooManyErrors) {
            return empty(file);
        }
        return new AstBuilder(file).build(tree);
    }

    static Span spanOf(String file, Token t) {
        int length = t.getType() == Token.EOF ? 0 : t.getText().length();
        return new Span(file, Math.max(1, t.getLine()), t.getCharPositionInLine() + 1, length);
    }

    /**
     * The ASCII character a typographic look-alike stands for, or null: sizes copied from a paper
     * come as 28×28, minus signs as −, quotes as ’.
     */
    static String lookalike(String ch) {
        return switch (ch) {
            case "\u00D7", "\u2715", "\u2716", "\u2A2F" -> "x";
            case "\u2212", "\u2013", "\u2014", "\u2010", "\u2011" -> "-";
            case "\u2044", "\u2215" -> "/";
            case "\uFF1B" -> ";";
            case "\uFF0C" -> ",";
            case "\u00A0", "\u2009", "\u202F", "\u3000" -> "a plain space";
            default -> null;
        };
    }

    private static ModelFile empty(String file) {
        return new ModelFile(file, List.of(), List.of(), List.of(), List.of(), List.of());
    }
}
