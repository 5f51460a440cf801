package dev.cnnc.compiler.parse;

import dev.cnnc.compiler.ast.BlockDef;
import dev.cnnc.compiler.ast.ModelFile;
import dev.cnnc.compiler.ast.Node;
import dev.cnnc.compiler.ast.Value;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.grammar.CnnParser;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Parse tree to immutable AST. After a syntax error ANTLR may leave parts of the tree
 * missing; those parts are skipped here (the error is already reported), never dereferenced.
 */
final class AstBuilder {
    private final String file;

    AstBuilder(String file) {
        this.file = file;
    }

    ModelFile build(CnnParser.FileContext tree) {
        List<ModelFile.ModelDecl> models = new ArrayList<>();
        List<ModelFile.InputDecl> inputs = new ArrayList<>();
        List<BlockDef> blocks = new ArrayList<>();
        List<Node> layers = new ArrayList<>();
        List<ModelFile.TrainSection> trains = new ArrayList<>();
        for (CnnParser.TopItemContext item : tree.topItem()) {
            if (item.modelDecl() != null) {
                CnnParser.ModelDeclContext m = item.modelDecl();
                if (m.NAME() != null && !isMissing(m.NAME())) {
                    models.add(new ModelFile.ModelDecl(word(m.NAME()), span(m.start)));
                }
            } else if (item.inputDecl() != null) {
                CnnParser.InputDeclContext in = item.inputDecl();
                inputs.add(new ModelFile.InputDecl(values(in.value()), span(in.start)));
            } else if (item.blockDecl() != null) {
                CnnParser.BlockDeclContext b = item.blockDecl();
                if (b.NAME().isEmpty() || b.body() == null) {
                    continue;
                }
                List<Value.Word> params = new ArrayList<>();
                for (TerminalNode p : b.NAME().subList(1, b.NAME().size())) {
                    params.add(word(p));
                }
                blocks.add(new BlockDef(word(b.NAME(0)), params, body(b.body()), span(b.start)));
            } else if (item.trainSection() != null) {
                List<Node.Statement> settings = new ArrayList<>();
                for (CnnParser.StatementContext s : item.trainSection().statement()) {
                    Node.Statement st = statement(s);
                    if (st != null) {
                        settings.add(st);
                    }
                }
                trains.add(new ModelFile.TrainSection(settings, span(item.trainSection().start)));
            } else if (item.layer() != null) {
                Node n = layer(item.layer());
                if (n != null) {
                    layers.add(n);
                }
            }
        }
        return new ModelFile(file, models, inputs, blocks, layers, trains);
    }

    private List<Node> body(CnnParser.BodyContext body) {
        List<Node> nodes = new ArrayList<>();
        if (body == null) {
            return nodes;
        }
        for (CnnParser.LayerContext l : body.layer()) {
            Node n = layer(l);
            if (n != null) {
                nodes.add(n);
            }
        }
        return nodes;
    }

    private Node layer(CnnParser.LayerContext ctx) {
        if (ctx instanceof CnnParser.RepeatLayerContext r) {
            if (r.value() == null) {
                return null;
            }
            Value count = value(r.value());
            return count == null ? null : new Node.Repeat(count, body(r.body()), span(r.start));
        }
        if (ctx instanceof CnnParser.ResidualLayerContext r) {
            List<Node> shortcut = r.shortcut == null ? null : body(r.shortcut);
            Span shortcutSpan = r.SHORTCUT() == null ? null : span(r.SHORTCUT().getSymbol());
            return new Node.Residual(body(r.body(0)), shortcut, span(r.start), shortcutSpan);
        }
        if (ctx instanceof CnnParser.JoinLayerContext j) {
            if (j.NAME() == null || isMissing(j.NAME())) {
                return null;
            }
            List<List<Node>> paths = new ArrayList<>();
            List<Span> spans = new ArrayList<>();
            for (CnnParser.BodyContext b : j.body()) {
                paths.add(body(b));
                spans.add(span(b.start));
            }
            return new Node.Join(word(j.NAME()), paths, spans, span(j.start));
        }
        if (ctx instanceof CnnParser.CallLayerContext c) {
            return new Node.Call(word(c.NAME()), values(c.value()), span(c.start));
        }
        if (ctx instanceof CnnParser.StatementLayerContext s) {
            return statement(s.statement());
        }
        return null;
    }

    private Node.Statement statement(CnnParser.StatementContext s) {
        if (s == null || s.NAME() == null || isMissing(s.NAME())) {
            return null;
        }
        List<Value> args = new ArrayList<>();
        for (CnnParser.ArgContext a : s.arg()) {
            if (a.COMMA() != null) {
                args.add(new Value.Comma(span(a.COMMA().getSymbol())));
            } else {
                Value v = value(a.value());
                if (v != null) {
                    args.add(v);
                }
            }
        }
        return new Node.Statement(word(s.NAME()), args, span(s.start));
    }

    private List<Value> values(List<CnnParser.ValueContext> contexts) {
        List<Value> out = new ArrayList<>();
        for (CnnParser.ValueContext v : contexts) {
            Value value = value(v);
            if (value != null) {
                out.add(value);
            }
        }
        return out;
    }

    private Value value(CnnParser.ValueContext ctx) {
        if (ctx instanceof CnnParser.WordValueContext w && w.NAME() != null) {
            return word(w.NAME());
        }
        if (ctx instanceof CnnParser.DimValueContext d && d.DIM() != null) {
            Token t = d.DIM().getSymbol();
            List<Long> sizes = new ArrayList<>();
            for (String part : t.getText().split("x")) {
                sizes.add(parseClamped(part));
            }
            return new Value.Dim(t.getText(), sizes, span(t));
        }
        if (ctx instanceof CnnParser.RatioValueContext r && r.number().size() == 2) {
            Value.Num a = number(r.number(0));
            Value.Num b = number(r.number(1));
            if (a == null || b == null) {
                return null;
            }
            return new Value.Ratio(a.text() + "/" + b.text(), a, b, span(r.start));
        }
        if (ctx instanceof CnnParser.NumberValueContext n) {
            return number(n.number());
        }
        return null;
    }

    private Value.Num number(CnnParser.NumberContext ctx) {
        if (ctx == null) {
            return null;
        }
        TerminalNode digits = ctx.INT() != null ? ctx.INT() : ctx.FLOAT();
        if (digits == null || isMissing(digits)) {
            return null;
        }
        String text = (ctx.MINUS() != null ? "-" : "") + digits.getText();
        BigDecimal value;
        try {
            value = new BigDecimal(text);
        } catch (NumberFormatException | ArithmeticException e) {
            // An exponent beyond BigDecimal's range, such as 1e99999999999: as good as infinite.
            value = new BigDecimal(text.contains("e-") || text.contains("E-") ? "0" : "1e999999999");
        }
        return new Value.Num(text, value, span(ctx.start));
    }

    private static long parseClamped(String digits) {
        String d = digits.replaceFirst("^0+(?=\\d)", "");
        return d.length() > 18 ? Long.MAX_VALUE : Long.parseLong(d);
    }

    private Value.Word word(TerminalNode node) {
        return new Value.Word(node.getText(), span(node.getSymbol()));
    }

    private static boolean isMissing(TerminalNode node) {
        // ANTLR's error recovery inserts "<missing NAME>" tokens with no position in the input.
        return node.getSymbol().getTokenIndex() < 0 || node.getText().startsWith("<missing");
    }

    private Span span(Token t) {
        return SourceParser.spanOf(file, t);
    }

}
