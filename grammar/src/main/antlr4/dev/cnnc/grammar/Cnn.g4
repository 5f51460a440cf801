/*
 * The .cnn language (see docs/LANGUAGE.md).
 *
 * This grammar describes structure only: the model header, blocks, repeat, residual, joins
 * (a word followed by one body per path: `concat { ... } { ... }`), the train section and
 * statements made of a word and its arguments. Which words are layer
 * kinds, and what their arguments mean, is decided by the compiler's layer table
 * (compiler/src/main/java/dev/cnnc/compiler/layers). That keeps the grammar small and lets
 * the checker answer an unknown word with "did you mean ...?" instead of a parse error.
 *
 * No actions: the compiler's AstBuilder turns the parse tree into an immutable AST.
 * The Java package comes from this file's folder (antlr4-maven-plugin derives it).
 */
grammar Cnn;

file
    : sep* (topItem (sep+ topItem)*)? sep* EOF
    ;

topItem
    : modelDecl
    | inputDecl
    | blockDecl
    | trainSection
    | layer
    ;

modelDecl    : MODEL NAME ;
inputDecl    : INPUT value+ ;
blockDecl    : BLOCK NAME LPAREN (NAME (COMMA NAME)*)? RPAREN body ;
trainSection : TRAIN LBRACE sep* (statement (sep+ statement)*)? sep* RBRACE ;

body
    : LBRACE sep* (layer (sep+ layer)*)? sep* RBRACE
    ;

layer
    : REPEAT value body                                  # repeatLayer
    | RESIDUAL body (NEWLINE* SHORTCUT shortcut=body)?   # residualLayer
    | NAME LPAREN (value (COMMA value)*)? RPAREN         # callLayer
    | NAME body (NEWLINE* body)*                         # joinLayer
    | statement                                          # statementLayer
    ;

statement
    : NAME arg*
    ;

arg
    : value
    | COMMA
    ;

value
    : NAME                          # wordValue
    | DIM                           # dimValue
    | number SLASH number           # ratioValue
    | number                        # numberValue
    ;

number
    : MINUS? (INT | FLOAT)
    ;

sep
    : NEWLINE
    | SEMI
    ;

MODEL    : 'model' ;
INPUT    : 'input' ;
BLOCK    : 'block' ;
REPEAT   : 'repeat' ;
RESIDUAL : 'residual' ;
SHORTCUT : 'shortcut' ;
TRAIN    : 'train' ;

// "28x28x1" and "3x3" are one token; the longest match wins over INT followed by a NAME.
DIM   : DIGITS ('x' DIGITS)+ ;
FLOAT : DIGITS '.' DIGITS? EXPONENT?
      | '.' DIGITS EXPONENT?
      | DIGITS EXPONENT
      ;
INT   : DIGITS ;
NAME  : [A-Za-z_] [A-Za-z0-9_]* ;

LBRACE : '{' ;
RBRACE : '}' ;
LPAREN : '(' ;
RPAREN : ')' ;
COMMA  : ',' ;
SEMI   : ';' ;
SLASH  : '/' ;
MINUS  : '-' ;

NEWLINE : '\r'? '\n' | '\r' ;
WS      : [ \t\f]+ -> skip ;
COMMENT : '#' ~[\r\n]* -> skip ;

// Any other character becomes a token of its own on the hidden channel: the lexer never
// fails, the compiler reports each one with its position, and the parser carries on.
UNEXPECTED_CHAR : . -> channel(HIDDEN) ;

fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
