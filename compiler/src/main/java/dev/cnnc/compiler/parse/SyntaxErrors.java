package dev.cnnc.compiler.parse;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.diag.Diagnostics;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.grammar.CnnLexer;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Turns ANTLR's syntax errors ("mismatched input ... expecting {...}") into our one format,
 * naming tokens the way a user reads them.
 */
final class SyntaxErrors extends BaseErrorListener {
    /** Thrown to stop the parser once the diagnostics are full; caught by {@link SourceParser}. */
    static final class Abort extends RuntimeException {
        Abort() {
            super(null, null, false, false);
        }
    }

    private final String file;
    private final Diagnostics diagnostics;
    private final Token unclosedBrace;

    SyntaxErrors(String file, Diagnostics diagnostics, Token unclosedBrace) {
        this.file = file;
        this.diagnostics = diagnostics;
        this.unclosedBrace = unclosedBrace;
    }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int column,
                            String antlrMessage, RecognitionException e) {
        Token token = offendingSymbol instanceof Token t ? t : null;
        int length = token == null || token.getType() == Token.EOF ? 0 : Math.max(0, token.getText().length());
        Span span = new Span(file, Math.max(1, line), column + 1, length);
        String hint = null;
        if (recognizer instanceof Parser parser) {
            IntervalSet expected = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens() : parser.getExpectedTokens();
            hint = describeExpected(expected);
        }
        String message = "unexpected " + describe(token);
        Diagnostics.Builder b = diagnostics.at(span, DiagnosticKind.SYNTAX, message);
        if (token != null && token.getType() == Token.EOF && unclosedBrace != null) {
            b.note("the '{' at line " + unclosedBrace.getLine() + ":" + (unclosedBrace.getCharPositionInLine() + 1)
                    + " is never closed");
            hint = "add '}' to close it";
        } else if (token != null && token.getType() == CnnLexer.RBRACE && unclosedBrace == null && hint != null
                && !hint.contains("'}'")) {
            hint = "this '}' closes nothing; remove it";
        }
        if (hint != null) {
            b.hint(hint);
        }
        b.report();
        if (diagnostics.isFull()) {
            throw new Abort();
        }
    }

    static String describe(Token token) {
        if (token == null) {
            return "input";
        }
        return switch (token.getType()) {
            case Token.EOF -> "end of file";
            case CnnLexer.NEWLINE -> "end of line";
            case CnnLexer.NAME -> "word '" + clip(token.getText()) + "'";
            case CnnLexer.INT, CnnLexer.FLOAT -> "number " + clip(token.getText());
            case CnnLexer.DIM -> "size " + clip(token.getText());
            case CnnLexer.MODEL, CnnLexer.INPUT, CnnLexer.BLOCK, CnnLexer.REPEAT, CnnLexer.RESIDUAL,
                 CnnLexer.SHORTCUT, CnnLexer.TRAIN -> "keyword '" + token.getText() + "'";
            default -> "'" + clip(token.getText()) + "'";
        };
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    /** "expected a name or '('", or null when the set is too large to help. */
    static String describeExpected(IntervalSet expected) {
        if (expected == null || expected.isNil()) {
            return null;
        }
        List<String> names = new ArrayList<>();
        for (int type : expected.toList()) {
            String name = switch (type) {
                case Token.EOF -> "end of file";
                case CnnLexer.NEWLINE, CnnLexer.SEMI -> "a new line or ';'";
                case CnnLexer.NAME -> "a name";
                case CnnLexer.INT, CnnLexer.FLOAT, CnnLexer.MINUS -> "a number";
                case CnnLexer.DIM -> "a size like 28x28x1";
                case CnnLexer.LBRACE -> "'{'";
                case CnnLexer.RBRACE -> "'}'";
                case CnnLexer.LPAREN -> "'('";
                case CnnLexer.RPAREN -> "')'";
                case CnnLexer.COMMA -> "','";
                case CnnLexer.SLASH -> "'/'";
                case CnnLexer.MODEL, CnnLexer.INPUT, CnnLexer.BLOCK, CnnLexer.REPEAT, CnnLexer.RESIDUAL,
                     CnnLexer.SHORTCUT, CnnLexer.TRAIN -> null; // a keyword list reads as noise
                default -> null;
            };
            if (name != null && !names.contains(name)) {
                names.add(name);
            }
        }
        if (names.isEmpty() || names.size() > 4) {
            return null;
        }
        if (names.size() == 1) {
            return "expected " + names.get(0);
        }
        return "expected " + String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
