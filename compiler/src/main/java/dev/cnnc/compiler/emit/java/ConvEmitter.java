package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import java.util.Map;

/**
 * conv as one matrix product over the whole batch: im2col, then W[F][C*kh*kw] x col, then the
 * fused epilogue — bias, activation, pooling, activation, in the order written — in one pass
 * over the product. Backward mirrors it: the epilogue's derivative in one pass, then the
 * products for the weight and input gradients.
 */
final class ConvEmitter implements OpEmitter<Op.ConvOp> {
    private record Dims(int c, int h, int w, int f, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, int ckk) {
    }

    private static Dims dims(Op.ConvOp op) {
        Conv c = op.conv();
        int[] pad = c.pad();
        int ch = (int) op.input().shape().channels();
        return new Dims(ch, (int) op.input().shape().height(), (int) op.input().shape().width(), c.filters(),
                c.kernelHeight(), c.kernelWidth(), c.strideHeight(), c.strideWidth(), pad[0], pad[1],
                (int) op.convShape().height(), (int) op.convShape().width(), ch * c.kernelHeight() * c.kernelWidth());
    }

    @Override
    public void declare(Op.ConvOp op, int k, JavaEmitContext ctx) {
        Dims d = dims(op);
        String perExample = Integer.toString(d.oh * d.ow);
        ctx.floats("col" + k, d.ckk + " * maxBatch * " + perExample);
        ctx.floats("wT" + k, Integer.toString(d.ckk * d.f));
        ctx.doubles("biasPart" + k, "maxBatch * " + d.f);
        if (op.epilogue().pool() != null) {
            ctx.floats("z" + k, "maxBatch * " + (d.f * d.oh * d.ow));
            ctx.floats("dz" + k, "maxBatch * " + (d.f * d.oh * d.ow));
            if (op.epilogue().pool().op() != Pool.Op.AVG) {
                ctx.ints("arg" + k, JavaEmitContext.size(op.output()));
            }
        }
    }

    private static String z(Op.ConvOp op, int k, JavaEmitContext ctx) {
        return op.epilogue().pool() != null ? "z" + k : ctx.value(op.output());
    }

    private static String dz(Op.ConvOp op, int k, JavaEmitContext ctx) {
        return op.epilogue().pool() != null ? "dz" + k : ctx.grad(op.output());
    }

    @Override
    public CodeBlock forward(Op.ConvOp op, int k, JavaEmitContext ctx) {
        Dims d = dims(op);
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String in = ctx.value(op.input());
        String z = z(op, k, ctx);
        CodeBlock.Builder b = CodeBlock.builder();
        b.addStatement("final int cols = n * $L", d.oh * d.ow);
        b.addStatement("$T.im2col(par, $L, col$L, n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", JavaEmitContext.OPS, in, k,
                d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow);
        b.add("// $L[F][n*OH*OW] = weight[F][C*KH*KW] x col[C*KH*KW][n*OH*OW]\n", z);
        b.addStatement("gemm.multiply(par, $L, cols, $L, params, $L, $L, col$L, 0, cols, $L, 0, cols, false)",
                d.f, d.ckk, p.get("weight").offset(), d.ckk, k, z);
        Op.Epilogue e = op.epilogue();
        String bias = p.containsKey("bias") ? "params[" + p.get("bias").offset() + " + plane / n]" : "0f";
        if (e.pool() == null) {
            if (e.before() == null && !p.containsKey("bias")) {
                return b.build();
            }
            b.add("// epilogue: bias$L, in place\n", e.before() == null ? "" : " + " + e.before().describe());
            b.beginControlFlow("par.forRange($L * n, $L, (from, to) ->", d.f, dev.cnnc.runtime.kernels.Parallel.grain((long) d.oh * d.ow));
            b.beginControlFlow("for (int plane = from; plane < to; plane++)");
            b.addStatement("final float bias = $L", bias);
            b.addStatement("final int base = plane * $L", d.oh * d.ow);
            b.beginControlFlow("for (int i = base; i < base + $L; i++)", d.oh * d.ow);
            b.addStatement("final float v = $L[i] + bias", z);
            b.addStatement("$L[i] = $L", z, ActivationCode.apply(e.before(), "v"));
            b.endControlFlow().endControlFlow();
            b.unindent().add("});\n");
            return b.build();
        }
        Pool pool = e.pool();
        int[] pp = pool.pad();
        int poh = (int) e.pooled().height();
        int pow = (int) e.pooled().width();
        String y = ctx.value(op.output());
        b.add("// epilogue: bias$L + $L$L, one pass over the product\n", e.before() == null ? "" : " + " + e.before().describe(),
                pool.describe(), e.after() == null ? "" : " + " + e.after().describe());
        b.beginControlFlow("par.forRange($L * n, $L, (from, to) ->", d.f, dev.cnnc.runtime.kernels.Parallel.grain((long) d.oh * d.ow));
        b.beginControlFlow("for (int plane = from; plane < to; plane++)");
        b.addStatement("final float bias = $L", bias);
        b.addStatement("final int zb = plane * $L", d.oh * d.ow);
        b.addStatement("final int yb = plane * $L", poh * pow);
        b.beginControlFlow("for (int oy = 0; oy < $L; oy++)", poh);
        b.beginControlFlow("for (int ox = 0; ox < $L; ox++)", pow);
        boolean avg = pool.op() == Pool.Op.AVG;
        boolean padded = pp[0] > 0 || pp[1] > 0; // without padding every window lies inside the plane
        if (!padded && pool.kernelHeight() * pool.kernelWidth() <= 25) {
            // The window is a constant: unrolled. The max is a fold of Math.max, and the argmax (needed only
            // for training) comes from the first set bit of an equality mask: random data makes any branch
            // on "v > best" mispredict about half the time, which costs more than the arithmetic.
            b.addStatement("final int at0 = zb + oy * $L + ox * $L", pool.strideHeight() * d.ow, pool.strideWidth());
            java.util.List<String> vs = new java.util.ArrayList<>();
            for (int i = 0; i < pool.kernelHeight(); i++) {
                for (int j = 0; j < pool.kernelWidth(); j++) {
                    String at = i == 0 && j == 0 ? "at0" : "at0 + " + (i * d.ow + j);
                    String v = "v" + i + "_" + j;
                    b.addStatement("final float x$L_$L = $L[$L] + bias", i, j, z, at);
                    b.addStatement("final float $L = $L", v, ActivationCode.apply(e.before(), "x" + i + "_" + j));
                    vs.add(v);
                }
            }
            if (avg) {
                b.addStatement("final float acc = $L", String.join(" + ", vs));
            } else {
                String fold = vs.get(0);
                String fn = pool.op() == Pool.Op.MAX ? "Math.max" : "Math.min";
                for (int q = 1; q < vs.size(); q++) {
                    fold = fn + "(" + fold + ", " + vs.get(q) + ")";
                }
                b.addStatement("final float best = $L", fold);
                b.beginControlFlow("if (training)");
                StringBuilder mask = new StringBuilder();
                for (int q = 0; q < vs.size(); q++) {
                    String v = vs.get(q);
                    mask.append(q == 0 ? "" : " | ").append("((").append(v).append(" == best) | (").append(v).append(" != ").append(v)
                            .append(") ? ").append(1 << q).append(" : 0)");
                }
                b.addStatement("final int first = Integer.numberOfTrailingZeros($L)", mask);
                b.addStatement("arg$L[yb + oy * $L + ox] = at0 + (first / $L) * $L + first % $L", k, pow, pool.kernelWidth(), d.ow,
                        pool.kernelWidth());
                b.endControlFlow();
            }
        } else {
            if (avg) {
                b.addStatement("float acc = 0f");
            } else {
                b.addStatement("float best = 0f");
                b.addStatement("int arg = -1");
            }
            b.beginControlFlow("for (int i = 0; i < $L; i++)", pool.kernelHeight());
            b.addStatement("final int iy = oy * $L + i$L", pool.strideHeight(), padded ? " - " + pp[0] : "");
            if (padded) {
                b.beginControlFlow("if (iy < 0 || iy >= $L)", d.oh).addStatement("continue").endControlFlow();
            }
            b.beginControlFlow("for (int j = 0; j < $L; j++)", pool.kernelWidth());
            b.addStatement("final int ix = ox * $L + j$L", pool.strideWidth(), padded ? " - " + pp[1] : "");
            if (padded) {
                b.beginControlFlow("if (ix < 0 || ix >= $L)", d.ow).addStatement("continue").endControlFlow();
            }
            b.addStatement("final int at = zb + iy * $L + ix", d.ow);
            b.addStatement("final float x = $L[at] + bias", z);
            b.addStatement("final float v = $L", ActivationCode.apply(e.before(), "x"));
            if (avg) {
                b.addStatement("acc += v");
            } else {
                String better = pool.op() == Pool.Op.MAX ? "v > best" : "v < best";
                b.beginControlFlow("if (arg < 0 || $L || v != v)", better);
                b.addStatement("best = v").addStatement("arg = at");
                b.endControlFlow();
            }
            b.endControlFlow().endControlFlow();
        }
        b.addStatement("final float pooled = $L", avg ? "acc / " + (pool.kernelHeight() * pool.kernelWidth()) + "f" : "best");
        if (!avg && (padded || pool.kernelHeight() * pool.kernelWidth() > 25)) {
            b.addStatement("arg$L[yb + oy * $L + ox] = arg", k, pow);
        }
        b.addStatement("$L[yb + oy * $L + ox] = $L", y, pow, ActivationCode.apply(e.after(), "pooled"));
        b.endControlFlow().endControlFlow().endControlFlow();
        b.unindent().add("});\n");
        return b.build();
    }

    @Override
    public CodeBlock backward(Op.ConvOp op, int k, JavaEmitContext ctx, boolean inputGradient) {
        Dims d = dims(op);
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        Op.Epilogue e = op.epilogue();
        String dz = dz(op, k, ctx);
        String dy = ctx.grad(op.output());
        String y = ctx.value(op.output());
        CodeBlock.Builder b = CodeBlock.builder();
        b.addStatement("final int cols = n * $L", d.oh * d.ow);
        boolean hasBias = p.containsKey("bias");
        if (e.pool() == null) {
            if (e.before() != null || hasBias) {
                b.add("// epilogue backward$L, one pass per plane\n", (e.before() == null ? "" : ": " + e.before().describe() + ", in place")
                        + (hasBias ? " (with the bias gradient)" : ""));
                b.beginControlFlow("par.forRange($L * n, $L, (from, to) ->", d.f, dev.cnnc.runtime.kernels.Parallel.grain((long) d.oh * d.ow));
                b.beginControlFlow("for (int plane = from; plane < to; plane++)");
                b.addStatement("double sum = 0");
                b.beginControlFlow("for (int i = plane * $L; i < (plane + 1) * $L; i++)", d.oh * d.ow, d.oh * d.ow);
                if (e.before() != null) {
                    b.addStatement("final float y = $L[i]", y);
                    b.addStatement("$L[i] *= $L", dy, ActivationCode.derivative(e.before(), "y"));
                }
                b.addStatement("sum += $L[i]", dy);
                b.endControlFlow();
                b.addStatement("biasPart$L[plane] = sum", k);
                b.endControlFlow();
                b.unindent().add("});\n");
            }
        } else {
            Pool pool = e.pool();
            int[] pp = pool.pad();
            int poh = (int) e.pooled().height();
            int pow = (int) e.pooled().width();
            String bias = hasBias ? "params[" + p.get("bias").offset() + " + plane / n]" : "0f";
            b.add("// epilogue backward: $L, one pass per plane (with the bias gradient)\n",
                    e.after() == null ? pool.describe() : e.after().describe() + ", " + pool.describe());
            b.beginControlFlow("par.forRange($L * n, $L, (from, to) ->", d.f, dev.cnnc.runtime.kernels.Parallel.grain((long) d.oh * d.ow));
            b.beginControlFlow("for (int plane = from; plane < to; plane++)");
            b.addStatement("final float bias = $L", bias);
            b.addStatement("final int zb = plane * $L", d.oh * d.ow);
            b.addStatement("final int yb = plane * $L", poh * pow);
            b.addStatement("double sum = 0");
            // Clear the plane, then add each output's gradient where its window read. (Writing every
            // window's elements instead, with no clear, measured slower: the clear is a vectorised fill.)
            b.addStatement("java.util.Arrays.fill($L, zb, zb + $L, 0f)", dz, d.oh * d.ow);
            b.beginControlFlow("for (int o = 0; o < $L; o++)", poh * pow);
            b.addStatement("final float y = $L[yb + o]", y);
            b.addStatement("final float g = $L[yb + o] * $L", dy, ActivationCode.derivative(e.after(), "y"));
            if (pool.op() != Pool.Op.AVG) {
                b.addStatement("final int at = arg$L[yb + o]", k);
                addBeforeDerivative(b, e.before(), "z" + k, "at", dz, "g");
            } else {
                b.addStatement("final int oy = o / $L", pow);
                b.addStatement("final int ox = o % $L", pow);
                b.addStatement("final float share = g / $Lf", pool.kernelHeight() * pool.kernelWidth());
                b.beginControlFlow("for (int i = 0; i < $L; i++)", pool.kernelHeight());
                b.addStatement("final int iy = oy * $L + i - $L", pool.strideHeight(), pp[0]);
                b.beginControlFlow("if (iy < 0 || iy >= $L)", d.oh).addStatement("continue").endControlFlow();
                b.beginControlFlow("for (int j = 0; j < $L; j++)", pool.kernelWidth());
                b.addStatement("final int ix = ox * $L + j - $L", pool.strideWidth(), pp[1]);
                b.beginControlFlow("if (ix < 0 || ix >= $L)", d.ow).addStatement("continue").endControlFlow();
                b.addStatement("final int at = zb + iy * $L + ix", d.ow);
                addBeforeDerivative(b, e.before(), "z" + k, "at", dz, "share");
                b.endControlFlow().endControlFlow();
            }
            b.endControlFlow();
            b.addStatement("biasPart$L[plane] = sum", k);
            b.endControlFlow();
            b.unindent().add("});\n");
        }
        if (hasBias) {
            b.add("// bias gradient: the planes' sums, added in a fixed order (the same result for any thread count)\n");
            b.beginControlFlow("for (int f = 0; f < $L; f++)", d.f);
            b.addStatement("double s = 0");
            b.beginControlFlow("for (int e = 0; e < n; e++)");
            b.addStatement("s += biasPart$L[f * n + e]", k);
            b.endControlFlow();
            b.addStatement("grads[$L + f] = (float) s", p.get("bias").offset());
            b.endControlFlow();
        }
        b.add("// weight gradient: dW[F][CKK] = dz[F][cols] x col[CKK][cols]^T\n");
        b.addStatement("gemm.multiplyTransposed(par, $L, $L, cols, $L, 0, cols, col$L, 0, cols, grads, $L, $L, false)", d.f, d.ckk, dz, k,
                p.get("weight").offset(), d.ckk);
        if (inputGradient) {
            b.add("// input gradient: dcol = W^T x dz, then col2im\n");
            b.addStatement("$T.transpose(params, $L, $L, $L, wT$L, 0)", JavaEmitContext.GEMM, p.get("weight").offset(), d.f, d.ckk, k);
            b.addStatement("gemm.multiply(par, $L, cols, $L, wT$L, 0, $L, $L, 0, cols, col$L, 0, cols, false)", d.ckk, d.f, k, d.f, dz, k);
            b.addStatement("$T.col2im(par, col$L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", JavaEmitContext.OPS, k,
                    ctx.gradSlot(op, op.input()), d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow);
        }
        return b.build();
    }

    /** dz[at] += g * f'(x) for the activation before the pool, recomputed from the kept product z. */
    private static void addBeforeDerivative(CodeBlock.Builder b, Activation before, String z, String at, String dz, String g) {
        if (before == null) {
            b.addStatement("$L[$L] += $L", dz, at, g);
            b.addStatement("sum += $L", g);
        } else {
            b.addStatement("final float x = $L[$L] + bias", z, at);
            b.addStatement("final float v = $L", ActivationCode.apply(before, "x"));
            b.addStatement("final float gz = $L * $L", g, ActivationCode.derivative(before, "v"));
            b.addStatement("$L[$L] += gz", dz, at);
            b.addStatement("sum += gz");
        }
    }
}
