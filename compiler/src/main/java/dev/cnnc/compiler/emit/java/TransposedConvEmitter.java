package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.layers.ConvTranspose;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import java.util.Map;

/**
 * A transposed conv as the adjoint of the conv that maps its output's shape back to its input's,
 * with the same weights ([C][F/G][K][K] is that conv's [filters][channels per group][K][K]), on the
 * runtime's {@code GroupedConv}: forward is that conv's input gradient (plus the bias), the input
 * gradient is that conv's forward, and the weight gradient is that conv's weight gradient with
 * the roles of input and output gradient swapped.
 */
final class TransposedConvEmitter implements OpEmitter<Op.TransposedConvOp> {
    @Override
    public void declare(Op.TransposedConvOp op, int k, JavaEmitContext ctx) {
        ConvTranspose t = op.conv();
        var in = op.input().shape();
        var out = op.output().shape();
        // the conv from the output (F channels, OH x OW) to the input (C channels, H x W)
        ctx.kernel("tconv" + k, GroupedConvEmitter.GROUPED_CONV, CodeBlock.of("new $T(gemm, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                GroupedConvEmitter.GROUPED_CONV, t.filters(), out.height(), out.width(), in.channels(), t.kernelHeight(), t.kernelWidth(),
                t.strideHeight(), t.strideWidth(), t.padHeight(), t.padWidth(), t.dilationHeight(), t.dilationWidth(), t.groups(), in.height(),
                in.width()));
    }

    private static long plane(Op.TransposedConvOp op) {
        return op.output().shape().height() * op.output().shape().width();
    }

    @Override
    public CodeBlock forward(Op.TransposedConvOp op, int k, JavaEmitContext ctx) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String y = ctx.value(op.output());
        CodeBlock.Builder b = CodeBlock.builder()
                .add("// the adjoint conv's input gradient, a unit (group, examples) at a time\n")
                .beginControlFlow("par.forRange(tconv$L.units(n), 1, (from, to) ->", k)
                .beginControlFlow("for (int u = from; u < to; u++)")
                .addStatement("tconv$L.inputGradient($L, n, u, params, $L, $L)", k, ctx.value(op.input()), p.get("weight").offset(), y)
                .endControlFlow()
                .unindent().add("});\n");
        if (p.containsKey("bias")) {
            b.add("// the bias, a plane (filter, example) at a time\n")
                    .beginControlFlow("for (int pl = 0; pl < $L * n; pl++)", op.conv().filters())
                    .addStatement("final float bias = params[$L + pl / n]", p.get("bias").offset())
                    .beginControlFlow("for (int i = pl * $L; i < (pl + 1) * $L; i++)", plane(op), plane(op))
                    .addStatement("$L[i] += bias", y)
                    .endControlFlow().endControlFlow();
        }
        return b.build();
    }

    @Override
    public CodeBlock backward(Op.TransposedConvOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String dy = ctx.grad(op.output());
        CodeBlock.Builder b = CodeBlock.builder()
                .add("// weight gradient: the adjoint conv's, reading the output gradient as its input and the input as its output gradient\n")
                .beginControlFlow("par.forRange($L, 1, (from, to) ->", op.conv().groups())
                .beginControlFlow("for (int g = from; g < to; g++)")
                .addStatement("tconv$L.weightGradient($L, $L, n, g, grads, $L, -1)", k, dy, ctx.value(op.input()), p.get("weight").offset())
                .endControlFlow()
                .unindent().add("});\n");
        if (p.containsKey("bias")) {
            b.add("// bias gradient: each filter's planes, summed in double in a fixed order\n")
                    .beginControlFlow("for (int f = 0; f < $L; f++)", op.conv().filters())
                    .addStatement("double s = 0")
                    .beginControlFlow("for (int i = f * n * $L; i < (f + 1) * n * $L; i++)", plane(op), plane(op))
                    .addStatement("s += $L[i]", dy)
                    .endControlFlow()
                    .addStatement("grads[$L + f] = (float) s", p.get("bias").offset())
                    .endControlFlow();
        }
        if (inputGradient) {
            b.add("// input gradient: the adjoint conv's forward of the output gradient\n")
                    .beginControlFlow("par.forRange(tconv$L.units(n), 1, (from, to) ->", k)
                    .beginControlFlow("for (int u = from; u < to; u++)")
                    .addStatement("tconv$L.forward($L, n, u, params, $L, -1, $L)", k, dy, p.get("weight").offset(), ctx.gradSlot(op, op.input()))
                    .endControlFlow()
                    .unindent().add("});\n");
        }
        return b.build();
    }
}
