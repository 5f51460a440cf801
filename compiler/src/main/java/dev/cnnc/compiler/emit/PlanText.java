package dev.cnnc.compiler.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** How every backend describes a plan in the code it writes: op comments, profile names, the tensor table. */
public final class PlanText {
    private static final ClassName TENSOR_INFO = ClassName.get("dev.cnnc.runtime", "TensorInfo");

    private PlanText() {
    }

    public static CodeBlock tensorTable(ParamLayout layout) {
        CodeBlock.Builder b = CodeBlock.builder().add("$T.of(", List.class).indent();
        for (int i = 0; i < layout.entries().size(); i++) {
            ParamLayout.Entry e = layout.entries().get(i);
            b.add("\nnew $T($S, new int[] {$L}, $L, $L, $T.Role.$L, $L)$L", TENSOR_INFO, e.name(),
                    Arrays.stream(e.shape()).mapToObj(Integer::toString).collect(Collectors.joining(", ")), e.trainable(), e.offset(),
                    TENSOR_INFO, e.role().name(), e.fanIn(), i + 1 < layout.entries().size() ? "," : "");
        }
        return b.unindent().add(")").build();
    }

    public static String comment(Op op, KernelPlan plan) {
        TreeSet<Integer> lines = new TreeSet<>();
        for (Span s : op.spans()) {
            lines.add(s.line());
        }
        String what = op.describe();
        if (plan == null) {
            return what + " -> ";
        }
        return what + " -> " + op.output().shape() + " (" + SourceText.comment(plan.model().file()) + " line" + (lines.size() > 1 ? "s " : " ")
                + lines.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")";
    }

    /** "conv1 + maxpool 2 + relu": how an op is named in profiles. */
    public static String shortName(Op op) {
        String full = comment(op, null);
        return full.substring(0, full.indexOf(" -> ")).replaceFirst(": [^+]*?( \\+ |$)", "$1");
    }
}
