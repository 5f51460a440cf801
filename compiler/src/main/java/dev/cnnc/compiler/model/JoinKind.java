package dev.cnnc.compiler.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How the paths of a join combine, as torch writes it: {@code torch.cat(paths, dim=1)},
 * {@code sum(paths)}, or {@code torch.mul} with broadcasting of 1x1xC paths over HxWxC
 * (squeeze-and-excitation's gate).
 */
public enum JoinKind {
    /** Channels (or features) side by side, in path order; every path keeps the same HxW. */
    CONCAT,
    /** Element-wise sum; every path ends in the same shape. */
    ADD,
    /** Element-wise product; a path may end in 1x1xC, broadcast over the others' HxWxC. */
    MULTIPLY;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<JoinKind> find(String word) {
        return Arrays.stream(values()).filter(k -> k.word().equals(word)).findFirst();
    }

    public static List<String> words() {
        return Arrays.stream(values()).map(JoinKind::word).toList();
    }
}
