package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.syntax.Args;
import dev.cnnc.compiler.syntax.Signature;
import java.util.List;
import java.util.function.Function;

/**
 * A layer word of the language: its name and aliases, the words it takes, and how its
 * read arguments become a {@link LayerSpec}. The factory answers null after reporting a
 * problem the signature cannot express (an even kernel with pad same, say).
 */
public record LayerKind(String name, List<String> aliases, String summary, Signature signature,
                        Function<Args, LayerSpec> factory) {
    public LayerKind {
        aliases = List.copyOf(aliases);
    }

    public static LayerKind of(String summary, Signature signature, Function<Args, LayerSpec> factory, String... aliases) {
        return new LayerKind(signature.name(), List.of(aliases), summary, signature, factory);
    }
}
