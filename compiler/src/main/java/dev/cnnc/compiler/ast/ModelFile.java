package dev.cnnc.compiler.ast;

import dev.cnnc.compiler.diag.Span;
import java.util.List;

/**
 * A whole .cnn file as written. Declarations are kept as lists, in source order, so that
 * later passes can report duplicates and misplaced lines instead of the parser refusing them.
 */
public record ModelFile(
        String file,
        List<ModelDecl> models,
        List<InputDecl> inputs,
        List<BlockDef> blocks,
        List<Node> layers,
        List<TrainSection> trainSections) {

    public ModelFile {
        models = List.copyOf(models);
        inputs = List.copyOf(inputs);
        blocks = List.copyOf(blocks);
        layers = List.copyOf(layers);
        trainSections = List.copyOf(trainSections);
    }

    public record ModelDecl(Value.Word name, Span span) {
    }

    public record InputDecl(List<Value> values, Span span) {
        public InputDecl {
            values = List.copyOf(values);
        }
    }

    public record TrainSection(List<Node.Statement> settings, Span span) {
        public TrainSection {
            settings = List.copyOf(settings);
        }
    }
}
