package dev.cnnc.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.Test;

class LexerTest {
    /** "TYPE:text" for each default-channel token, without EOF. */
    static String lex(String text) {
        CnnLexer lexer = new CnnLexer(CharStreams.fromString(text));
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        List<Token> all = tokens.getTokens();
        return all.stream()
                .filter(t -> t.getType() != Token.EOF)
                .map(t -> CnnLexer.VOCABULARY.getSymbolicName(t.getType()) + ":" + t.getText().replace("\r", "\\r").replace("\n", "\\n"))
                .collect(Collectors.joining(" "));
    }

    @Test
    void dimensionsAreOneToken() {
        assertEquals("DIM:1x28x28", lex("1x28x28"));
        assertEquals("DIM:3x3", lex("3x3"));
        assertEquals("DIM:28x28x1", lex("28x28x1"));
        assertEquals("DIM:28x28 NAME:x", lex("28x28x"));
        assertEquals("INT:3 NAME:x INT:3", lex("3 x 3"));
        assertEquals("NAME:x3", lex("x3"));
        assertEquals("INT:3 NAME:X3", lex("3X3"));
    }

    @Test
    void numbers() {
        assertEquals("FLOAT:0.001 FLOAT:1e-5 FLOAT:.5 FLOAT:2. FLOAT:1E+3 INT:42", lex("0.001 1e-5 .5 2. 1E+3 42"));
        assertEquals("INT:1 SLASH:/ INT:255", lex("1/255"));
        assertEquals("MINUS:- INT:1", lex("-1"));
        assertEquals("INT:1 NAME:e", lex("1e"));
    }

    @Test
    void keywordsNamesAndSeparators() {
        assertEquals("MODEL:model NAME:FashionNet NEWLINE:\\n INPUT:input DIM:28x28x1", lex("model FashionNet # the name\ninput 28x28x1"));
        assertEquals("NAME:conv SEMI:; NAME:relu", lex("conv;relu"));
        assertEquals("NAME:conv32 NAME:_x NAME:models", lex("conv32 _x models"));
        assertEquals("NAME:a NEWLINE:\\r\\n NAME:b NEWLINE:\\r NAME:c NEWLINE:\\n NAME:d", lex("a\r\nb\rc\nd"));
        assertEquals("RESIDUAL:residual LBRACE:{ RBRACE:} SHORTCUT:shortcut LBRACE:{ RBRACE:}", lex("residual {} shortcut {}"));
    }

    @Test
    void strayCharactersAreHiddenTokensNotErrors() {
        CnnLexer lexer = new CnnLexer(CharStreams.fromString("relu @ $\u0000"));
        lexer.removeErrorListeners();
        List<? extends Token> all = lexer.getAllTokens();
        assertEquals(4, all.stream().filter(t -> t.getType() == CnnLexer.UNEXPECTED_CHAR).count() + 1);
        assertEquals(Token.HIDDEN_CHANNEL, all.get(1).getChannel());
    }
}
