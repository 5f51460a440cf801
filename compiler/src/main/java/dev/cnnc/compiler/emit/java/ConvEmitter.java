package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.runtime.kernels.DirectWindowConv;
import dev.cnnc.runtime.kernels.Winograd;
import java.util.Map;

/**
 * conv over groups of examples small enough that their lowered input (im2col), product and
 * epilogue stay in the core's cache: per group, im2col, then W[F][C*kh*kw] x col, then the fused
 * epilogue — bias, activation, pooling, activation, in the order written — while the product is
 * still in cache. Each group runs on one thread, whichever is free (a batch of one group splits its
 * product across the threads instead). Backward mirrors it per group: the epilogue's derivative,
 * im2col again, the weight gradient into its slot's partial sum ({@code Parallel.forChunks}), and
 * the input gradient. Lowering the whole batch
 * at once instead streams tens of megabytes through memory (conv2 of the Fashion net: 14 MB of
 * im2col at batch 64).
 *
 * <p>A 3x3, stride-1 convolution of 8 or more channels runs instead as Winograd's F(2x2, 3x3)
 * (the runtime's {@code Winograd}: 2.25x fewer multiplications in forward, weight gradient and
 * input gradient alike) in place of im2col and the products; the epilogues stay the same.
 *
 * <p>A 2x2, stride-2 max pool that tiles the output exactly, with relu or nothing around it (the
 * usual "conv, maxpool 2, relu"), has the product's columns in window-major order
 * ({@code WindowOrder}: im2col, col2im and Winograd's output transforms write and read that order)
 * so that its epilogue and the epilogue's backward are vector loops ({@code WindowPool}) over four
 * contiguous runs instead of strided gathers, a branchy argmax and scattered adds.
 *
 * <p>Such a conv of a few input channels at stride 1 (a first layer: C * kh * kw up to 27) runs
 * its forward and weight gradient directly ({@code DirectWindowConv}) instead of im2col and a
 * product of that small depth; its input gradient, when asked, keeps the product and col2im.
 */
final class ConvEmitter implements OpEmitter<Op.ConvOp> {
    private record Dims(int c, int h, int w, int f, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, int ckk) {
        int plane() {
            return oh * ow;
        }
    }

    private static Dims dims(Op.ConvOp op) {
        Conv c = op.conv();
        int[] pad = c.pad();
        int ch = (int) op.input().shape().channels();
        return new Dims(ch, (int) op.input().shape().height(), (int) op.input().shape().width(), c.filters(),
                c.kernelHeight(), c.kernelWidth(), c.strideHeight(), c.strideWidth(), pad[0], pad[1],
                (int) op.convShape().height(), (int) op.convShape().width(), ch * c.kernelHeight() * c.kernelWidth());
    }

    /**
     * A conv's groups: examples per group, and the floats one group takes in a per-thread buffer of
     * im2col ({@code col}) and of the product or its gradient ({@code z}). The buffers' sizes and the
     * code's offsets into them both come from here.
     */
    private record Group(int examples, long col, long z) {
    }

    /**
     * Whether the conv runs as Winograd's F(2x2, 3x3): 3x3 and stride 1 (the transforms assume both),
     * and enough channels that the 16 products per tile, of depth C, are not mostly overhead (a
     * first layer of 1 or 3 channels stays direct).
     */
    static boolean winograd(Op.ConvOp op, JavaEmitContext ctx) {
        Dims d = dims(op);
        return ctx.winograd && d.kh == 3 && d.kw == 3 && d.sh == 1 && d.sw == 1 && d.c >= 8;
    }

    /**
     * Whether the conv's epilogue is a max pool that {@code WindowPool} runs: 2x2 windows at stride 2,
     * no padding, an even output (every output in exactly one window), and no activation but relu
     * before or after it (relu commutes with the max, and its derivative reads the same from the
     * pooled output either way).
     */
    static boolean windowPool(Op.ConvOp op) {
        Op.Epilogue e = op.epilogue();
        Pool pool = e.pool();
        Dims d = dims(op);
        return pool != null && pool.op() == Pool.Op.MAX && pool.kernelHeight() == 2 && pool.kernelWidth() == 2
                && pool.strideHeight() == 2 && pool.strideWidth() == 2 && pool.pad()[0] == 0 && pool.pad()[1] == 0
                && d.oh % 2 == 0 && d.ow % 2 == 0 && isReluOrNone(e.before()) && isReluOrNone(e.after());
    }

    /**
     * Whether the conv's forward and weight gradient run as {@code DirectWindowConv}: window-pooled,
     * not Winograd, stride 1, few taps (C * kh * kw), padding below the kernel. On the Fashion net's
     * conv1 (1 channel, 3x3) both passes measured 1.2-1.5x faster than im2col and the product
     * (docs/ARCHITECTURE.md).
     */
    static boolean directWindow(Op.ConvOp op, JavaEmitContext ctx) {
        Dims d = dims(op);
        return windowPool(op) && !winograd(op, ctx) && DirectWindowConv.suits(d.c, d.kh, d.kw, d.sh, d.sw) && d.ph < d.kh
                && d.pw < d.kw;
    }

    /**
     * Whether the conv is pointwise: 1x1, stride 1, no padding, columns in plain order. Its im2col
     * would copy the input unchanged (a channel's examples are already one row of n*H*W values), so
     * the products read the input, and write the input gradient, in place, with a row stride of
     * n*H*W: no column buffer, no copy in, no col2im out.
     */
    static boolean pointwise(Op.ConvOp op) {
        Dims d = dims(op);
        return d.kh == 1 && d.kw == 1 && d.sh == 1 && d.sw == 1 && d.ph == 0 && d.pw == 0 && !windowPool(op);
    }

    /** Whether a window-pooled conv has a relu before or after its pool (the same result either way). */
    private static boolean reluAround(Op.ConvOp op) {
        return op.epilogue().before() != null || op.epilogue().after() != null;
    }

    private static boolean isReluOrNone(Activation a) {
        return a == null || a.function() == Activation.Function.RELU;
    }

    /**
     * As many examples per group as fit the budget of im2col and (pooled convs) product, at least one.
     * Winograd counts one point's share of its transformed input and products: its 16 products run
     * point by point, each on 1/16 of the buffers, and wider products pad less (49 tiles an example
     * are 64 columns, 147 are 160). Measured on the Fashion net's conv2 (2 threads, batch 64, best of
     * 60): groups of 1, 2, 3, 4, 8 examples took 3.7-4.0, 3.4, 3.3, 3.2, 3.2-3.4 ms forward and
     * 8.2-8.8, 7.6-7.7, 7.4-7.6, 7.1-7.4, 7.2-7.5 ms backward; this rule gives it 4 (3 with the
     * earlier 256 KiB budget; whole training steps then ran ~4-6 % faster with 4 in A/B runs).
     */
    private static Group group(Op.ConvOp op, JavaEmitContext ctx) {
        Dims d = dims(op);
        long lowered = winograd(op, ctx)
                ? (long) ((d.oh + 1) / 2) * ((d.ow + 1) / 2) * (d.c + d.f)
                : (long) d.plane() * d.ckk;
        long perExample = 4L * (lowered + (op.epilogue().pool() != null ? (long) d.plane() * d.f : 0));
        int g = (int) Math.max(1, Math.min(1024, ctx.groupBytes / perExample));
        return new Group(g, (long) d.ckk * g * d.plane(), (long) d.f * g * d.plane());
    }

    /**
     * The product z: with a pool, a per-thread group buffer [F][group columns] (only the pooled output
     * and argmax outlive the group), unless an activation before the pool needs it again in backward;
     * without a pool, the op's output [F][n*OH*OW] itself.
     */
    private static boolean zPerGroup(Op.ConvOp op) {
        return op.epilogue().pool() != null && (op.epilogue().before() == null || windowPool(op));
    }

    @Override
    public void declare(Op.ConvOp op, int k, JavaEmitContext ctx) {
        Dims d = dims(op);
        Group g = group(op, ctx);
        if (winograd(op, ctx)) {
            // one scratch for all the network's Winograd convs (they run one at a time)
            ctx.kernel("winogradScratch", JavaEmitContext.WINOGRAD.nestedClass("Scratch"),
                    CodeBlock.of("new $T()", JavaEmitContext.WINOGRAD.nestedClass("Scratch")));
            ctx.kernel("wino" + k, JavaEmitContext.WINOGRAD, CodeBlock.of("new $T(gemm, $L, $L, $L, $L, $L, $L, $L, threads, $L, winogradScratch)",
                    JavaEmitContext.WINOGRAD, d.c, d.f, d.h, d.w, d.ph, d.pw, g.examples(), windowPool(op)));
            ctx.winogradConvs.add(new JavaMemory.WinogradConv(d.c, d.f, d.h, d.w, d.ph, d.pw, g.examples()));
        } else {
            if (!pointwise(op)) {
                ctx.floats("col" + k, "threads * " + g.col());
            }
            if (directWindow(op, ctx)) {
                ctx.kernel("conv" + k, JavaEmitContext.DIRECT_WINDOW_CONV, CodeBlock.of("new $T(gemm, $L, $L, $L, $L, $L, $L, $L, $L, $L, threads)",
                        JavaEmitContext.DIRECT_WINDOW_CONV, d.c, d.f, d.h, d.w, d.kh, d.kw, d.ph, d.pw, g.examples()));
            } else {
                ctx.floats("wPack" + k, "gemm.packedSize(" + d.f + ", " + d.ckk + ")");
            }
            ctx.floats("wTPack" + k, "gemm.packedSize(" + d.ckk + ", " + d.f + ")");
            ctx.floats("wPart" + k, "Parallel.slots(threads) * " + d.ckk * d.f);
        }
        ctx.doubles("biasPart" + k, "maxBatch * " + d.f);
        if (op.epilogue().pool() != null) {
            ctx.floats("z" + k, zPerGroup(op) ? "threads * " + g.z() : "maxBatch * " + (d.f * d.plane()));
            ctx.floats("dz" + k, "threads * " + g.z());
            if (windowPool(op)) {
                ctx.kernel("windowPool", JavaEmitContext.WINDOW_POOL, CodeBlock.of("$T.of(gemm)", JavaEmitContext.WINDOW_POOL));
                ctx.floats("arg" + k, JavaEmitContext.size(op.output()));
            } else if (op.epilogue().pool().op() != Pool.Op.AVG) {
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

    /**
     * Declares {@code name}At and {@code name}Ld for a per-thread group buffer [F][cols]: where this
     * thread's group starts, and its row length.
     */
    private static void groupLayout(CodeBlock.Builder b, String name, Group g) {
        b.addStatement("final int $LAt = part * $L", name, g.z());
        b.addStatement("final int $LLd = cols", name);
    }

    /** The same for a whole-batch buffer [F][n*OH*OW]: where the group's first example starts, and the row length. */
    private static void batchLayout(CodeBlock.Builder b, String name, Dims d) {
        b.addStatement("final int $LAt = e0 * $L", name, d.plane());
        b.addStatement("final int $LLd = n * $L", name, d.plane());
    }

    /** Opens the loop over groups (closed by the caller) and declares the group's columns and (direct convs) im2col offset. */
    private static void openGroups(CodeBlock.Builder b, Dims d, Group g, boolean direct) {
        b.beginControlFlow("par.forChunks(n, $L, (e0, e1, p, part, slot) ->", g.examples());
        b.addStatement("final int cols = (e1 - e0) * $L", d.plane());
        if (direct) {
            b.addStatement("final int colAt = part * $L", g.col());
        }
    }

    private static void openFilters(CodeBlock.Builder b, Dims d) {
        b.beginControlFlow("p.forRange($L, $L, (f0, f1) ->", d.f, dev.cnnc.runtime.kernels.Parallel.grain((long) d.plane()));
        b.beginControlFlow("for (int f = f0; f < f1; f++)");
    }

    private static void closeFilters(CodeBlock.Builder b) {
        b.endControlFlow();
        b.unindent().add("});\n");
    }

    @Override
    public CodeBlock forward(Op.ConvOp op, int k, JavaEmitContext ctx) {
        Dims d = dims(op);
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        String in = ctx.value(op.input());
        String z = z(op, k, ctx);
        Op.Epilogue e = op.epilogue();
        CodeBlock.Builder b = CodeBlock.builder();
        boolean wino = winograd(op, ctx);
        boolean direct = directWindow(op, ctx);
        Group g = group(op, ctx);
        var batchNorm = BatchNormFold.into(ctx.plan, op);
        if (batchNorm.isPresent()) {
            b.beginControlFlow("if (!training)").add(BatchNormFold.coefficients(batchNorm.get(), k, op.name(), d.f, ctx)).endControlFlow();
        }
        if (wino) {
            // A batch of one group (one image) runs Winograd too, its 16 products split across the
            // threads; with the weights' transform kept while they do not change, it measured 1.8x
            // faster than the direct lowering for one image of the Fashion net (0.19 vs 0.36 ms a pass).
            b.add("// the weights transformed (G g G^T) and packed for the products of every group (a network that only infers keeps them while unchanged)\n");
            b.addStatement("wino$L.prepareForward(params, $L, training)", k, p.get("weight").offset());
        } else if (direct) {
            b.add("// the weights laid out once for the direct convolution of every group\n");
            b.addStatement("conv$L.prepareForward(params, $L)", k, p.get("weight").offset());
        } else {
            b.add("// the weights packed once for the products of every group\n");
            b.addStatement("gemm.pack(params, $L, $L, false, $L, $L, wPack$L)", p.get("weight").offset(), d.ckk, d.f, d.ckk, k);
        }
        b.add("// groups of $L example(s): $L and epilogue while they are in cache\n", g.examples(),
                wino ? "Winograd's input transform, product" : direct ? "direct convolution" : "im2col, product");
        openGroups(b, d, g, !wino && !direct && !pointwise(op));
        if (zPerGroup(op)) {
            groupLayout(b, "z", g);
        } else {
            batchLayout(b, "z", d);
        }
        if (wino) {
            b.add("// $L[F][cols] = the convolution, as 16 products of transformed tiles\n", z);
            b.addStatement("wino$L.forward(p, $L, n, e0, e1, $L, zAt, zLd, part)", k, in, z);
        } else if (direct) {
            b.add("// $L[F][cols] = the convolution, window-major, straight from the input planes\n", z);
            b.addStatement("conv$L.forward(p, $L, n, e0, e1, $L, zAt, zLd, part)", k, in, z);
        } else if (pointwise(op) && e.pool() == null) {
            pointwiseInChunks(b, op, k, ctx, d, z, in, batchNorm);
            b.unindent().add("});\n");
            return b.build();
        } else if (pointwise(op)) {
            b.add("// $L[F][cols] = weight[F][C] x the input's rows [C][cols] (1x1: the input is its own im2col)\n", z);
            b.addStatement("gemm.multiplyPacked(p, $L, cols, $L, wPack$L, $L, e0 * $L, n * $L, $L, zAt, zLd, false)", d.f, d.ckk, k, in,
                    d.plane(), d.plane(), z);
        } else {
            b.addStatement("$T.im2col(p, $L, n, e0, e1, col$L, colAt, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", im2colOwner(op), in, k,
                    d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow);
            b.add("// $L[F][cols] = weight[F][C*KH*KW] x col[C*KH*KW][cols]\n", z);
            b.addStatement("gemm.multiplyPacked(p, $L, cols, $L, wPack$L, col$L, colAt, cols, $L, zAt, zLd, false)", d.f, d.ckk, k, k, z);
        }
        String bias = p.containsKey("bias") ? "params[" + p.get("bias").offset() + " + f]" : "0f";
        if (e.pool() == null) {
            if (batchNorm.isPresent()) {
                // inference: the batchnorm after it, into its output while the product is in cache (BatchNormFold)
                Op.BatchNormOp bn = batchNorm.get();
                b.beginControlFlow("if (!training)");
                openFilters(b, d);
                b.addStatement("final float scale = foldScale$L[f], shift = foldShift$L[f]", k, k);
                b.beginControlFlow("for (int i = zAt + f * zLd; i < zAt + f * zLd + cols; i++)");
                b.addStatement("$L[i] = $L", ctx.value(bn.output()), bn.activation() == null ? z + "[i] * scale + shift"
                        : ActivationCode.clampOf(bn.activation(), z + "[i] * scale + shift"));
                b.endControlFlow();
                closeFilters(b);
                b.addStatement("return");
                b.endControlFlow();
            }
            if (e.before() != null || p.containsKey("bias")) {
                b.add("// epilogue: bias$L, in place\n", e.before() == null ? "" : " + " + e.before().describe());
                openFilters(b, d);
                b.addStatement("final float bias = $L", bias);
                b.beginControlFlow("for (int i = zAt + f * zLd; i < zAt + f * zLd + cols; i++)");
                b.addStatement("final float v = $L[i] + bias", z);
                b.addStatement("$L[i] = $L", z, ActivationCode.apply(e.before(), "v"));
                b.endControlFlow();
                closeFilters(b);
            }
            b.unindent().add("});\n");
            return b.build();
        }
        Pool pool = e.pool();
        int[] pp = pool.pad();
        int poh = (int) e.pooled().height();
        int pow = (int) e.pooled().width();
        String y = ctx.value(op.output());
        if (windowPool(op)) {
            b.add("// epilogue: bias$L + $L$L on the window-major product, a vector of windows at a time\n",
                    e.before() == null ? "" : " + " + e.before().describe(), pool.describe(), e.after() == null ? "" : " + " + e.after().describe());
            openFilters(b, d);
            b.addStatement("final float bias = $L", bias);
            b.beginControlFlow("for (int e = e0; e < e1; e++)");
            b.addStatement("windowPool.forward($L, zAt + f * zLd + (e - e0) * $L, bias, $L, $L, $L, (f * n + e) * $L, arg$L, training)", z,
                    d.plane(), poh * pow, reluAround(op), y, poh * pow, k);
            b.endControlFlow();
            closeFilters(b);
            b.unindent().add("});\n");
            return b.build();
        }
        b.add("// epilogue: bias$L + $L$L, one pass over the product\n", e.before() == null ? "" : " + " + e.before().describe(),
                pool.describe(), e.after() == null ? "" : " + " + e.after().describe());
        openFilters(b, d);
        b.addStatement("final float bias = $L", bias);
        b.beginControlFlow("for (int e = e0; e < e1; e++)");
        b.addStatement("final int zb = zAt + f * zLd + (e - e0) * $L", d.plane());
        b.addStatement("final int yb = (f * n + e) * $L", poh * pow);
        b.beginControlFlow("for (int oy = 0; oy < $L; oy++)", poh);
        b.beginControlFlow("for (int ox = 0; ox < $L; ox++)", pow);
        boolean avg = pool.op() == Pool.Op.AVG;
        boolean padded = pp[0] > 0 || pp[1] > 0; // without padding every window lies inside the plane
        if (!padded && pool.kernelHeight() * pool.kernelWidth() <= 25) {
            // The window is a constant: unrolled. The max is a fold of Math.max, and the argmax (needed only
            // for training) comes from the first set bit of an equality mask: random data makes any branch
            // on "v > best" mispredict about half the time, which costs more than the arithmetic.
            b.addStatement("final int at0 = oy * $L + ox * $L", pool.strideHeight() * d.ow, pool.strideWidth());
            java.util.List<String> vs = new java.util.ArrayList<>();
            for (int i = 0; i < pool.kernelHeight(); i++) {
                for (int j = 0; j < pool.kernelWidth(); j++) {
                    String at = i == 0 && j == 0 ? "zb + at0" : "zb + at0 + " + (i * d.ow + j);
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
            b.addStatement("final int at = iy * $L + ix", d.ow);
            b.addStatement("final float x = $L[zb + at] + bias", z);
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
        closeFilters(b);
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
        int wOff = p.get("weight").offset();
        boolean hasBias = p.containsKey("bias");
        CodeBlock.Builder b = CodeBlock.builder();
        boolean wino = winograd(op, ctx);
        Group g = group(op, ctx);
        b.add(RecomputedInput.code(op, ctx));
        b.add("// the weight gradient is summed per slot of groups, the slots' parts added in order at the end\n");
        if (wino) {
            b.addStatement("wino$L.prepareBackward(params, $L, $L, par.slotsOf(n, $L))", k, wOff, inputGradient, g.examples());
        } else {
            b.addStatement("java.util.Arrays.fill(wPart$L, 0f)", k);
            if (inputGradient) {
                b.add("// W^T packed once for the input gradient's products\n");
                b.addStatement("gemm.pack(params, $L, $L, true, $L, $L, wTPack$L)", wOff, d.ckk, d.ckk, d.f, k);
            }
        }
        b.add("// groups of $L example(s), as in forward\n", g.examples());
        openGroups(b, d, g, !wino && !pointwise(op) && (inputGradient || !directWindow(op, ctx)));
        if (e.pool() == null) {
            batchLayout(b, "dz", d);
            if (e.before() != null || hasBias) {
                b.add("// epilogue backward$L, one pass per plane\n", (e.before() == null ? "" : ": " + e.before().describe() + ", in place")
                        + (hasBias ? " (with the bias gradient)" : ""));
                openFilters(b, d);
                b.beginControlFlow("for (int e = e0; e < e1; e++)");
                b.addStatement("final int plane = f * n + e");
                boolean clamp = e.before() != null && ActivationEmitter.isClamp(e.before());
                if (clamp) {
                    // a clamp's derivative in place over the plane as a vector blend (a ternary is a branch mispredicted on
                    // half the elements), then the bias sum
                    b.beginControlFlow("");
                    b.addStatement("final int from = plane * $L, to = from + $L", d.plane(), d.plane());
                    b.add(ActivationEmitter.derivativeRange(e.before(), y, dy, dy));
                    b.endControlFlow();
                }
                b.addStatement("double sum = 0");
                b.beginControlFlow("for (int i = plane * $L; i < (plane + 1) * $L; i++)", d.plane(), d.plane());
                if (e.before() != null && !clamp) {
                    b.addStatement("final float y = $L[i]", y);
                    b.addStatement("$L[i] *= $L", dy, ActivationCode.derivative(e.before(), "y"));
                }
                b.addStatement("sum += $L[i]", dy);
                b.endControlFlow();
                b.addStatement("biasPart$L[plane] = sum", k);
                b.endControlFlow();
                closeFilters(b);
            }
        } else if (windowPool(op)) {
            groupLayout(b, "dz", g);
            int windows = (int) (e.pooled().height() * e.pooled().width());
            b.add("// epilogue backward: $L, the gradient to each window's max, a vector of windows at a time (with the bias gradient)\n",
                    e.pool().describe() + (reluAround(op) ? ", relu" : ""));
            openFilters(b, d);
            b.beginControlFlow("for (int e = e0; e < e1; e++)");
            b.addStatement("final int plane = f * n + e");
            b.addStatement("biasPart$L[plane] = windowPool.backward($L, $L, arg$L, plane * $L, $L, $L, $L, dzAt + f * dzLd + (e - e0) * $L)", k,
                    dy, y, k, windows, windows, reluAround(op), dz, d.plane());
            b.endControlFlow();
            closeFilters(b);
        } else {
            groupLayout(b, "dz", g);
            if (e.before() != null) {
                batchLayout(b, "z", d);
            }
            Pool pool = e.pool();
            int[] pp = pool.pad();
            int poh = (int) e.pooled().height();
            int pow = (int) e.pooled().width();
            String bias = hasBias ? "params[" + p.get("bias").offset() + " + f]" : "0f";
            b.add("// epilogue backward: $L, one pass per plane (with the bias gradient)\n",
                    e.after() == null ? pool.describe() : e.after().describe() + ", " + pool.describe());
            openFilters(b, d);
            b.addStatement("final float bias = $L", bias);
            b.beginControlFlow("for (int e = e0; e < e1; e++)");
            b.addStatement("final int plane = f * n + e");
            b.addStatement("final int dzb = dzAt + f * dzLd + (e - e0) * $L", d.plane());
            if (e.before() != null) {
                b.addStatement("final int zb = zAt + f * zLd + (e - e0) * $L", d.plane());
            }
            b.addStatement("final int yb = plane * $L", poh * pow);
            b.addStatement("double sum = 0");
            // Clear the plane, then add each output's gradient where its window read. (Writing every
            // window's elements instead, with no clear, measured slower: the clear is a vectorised fill.)
            b.addStatement("java.util.Arrays.fill($L, dzb, dzb + $L, 0f)", dz, d.plane());
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
                b.addStatement("final int at = iy * $L + ix", d.ow);
                addBeforeDerivative(b, e.before(), "z" + k, "at", dz, "share");
                b.endControlFlow().endControlFlow();
            }
            b.endControlFlow();
            b.addStatement("biasPart$L[plane] = sum", k);
            b.endControlFlow();
            closeFilters(b);
        }
        if (wino) {
            b.add("// the weight gradient (into the slot's part)$L, as 16 products of transformed tiles each\n",
                    inputGradient ? " and the input gradient" : "");
            b.addStatement("wino$L.backward(p, $L, n, e0, e1, $L, dzAt, dzLd, $L, part, slot)", k, RecomputedInput.buffer(op, ctx), dz,
                    inputGradient ? ctx.gradSlot(op, op.input()) : "null");
        } else {
            directGradients(b, op, k, ctx, dz, inputGradient);
        }
        b.unindent().add("});\n");
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
        if (wino) {
            b.addStatement("wino$L.finishBackward(grads, $L)", k, wOff);
        } else {
            b.addStatement("$T.sumParts(wPart$L, par.slotsOf(n, $L), $L, grads, $L)", JavaEmitContext.OPS, k, g.examples(), d.ckk * d.f, wOff);
        }
        return b.build();
    }

    /**
     * Columns of a pointwise conv's product taken at a time, with their epilogue: F x this many
     * floats stay in the second-level cache between the product and the epilogue (one 112x112
     * example is 12,544 columns: its product of 96 filters, 4.8 MB, went to memory and back).
     */
    static final int POINTWISE_COLUMNS = 2048;

    /**
     * A pointwise conv without a pool, in chunks of columns: the product of a chunk, then its
     * epilogue (bias and activation in place, or in inference a folded batchnorm into that op's
     * output) while the chunk is in cache.
     */
    private static void pointwiseInChunks(CodeBlock.Builder b, Op.ConvOp op, int k, JavaEmitContext ctx, Dims d, String z, String in,
                                          java.util.Optional<Op.BatchNormOp> batchNorm) {
        Map<String, ParamLayout.Entry> p = ctx.plan.params().of(op.name());
        Activation before = op.epilogue().before();
        b.add("// $L[F][cols] = weight[F][C] x the input's rows [C][cols] (1x1: the input is its own im2col), $L columns at a time with their epilogue\n",
                z, POINTWISE_COLUMNS);
        b.beginControlFlow("for (int c0 = 0; c0 < cols; c0 += $L)", POINTWISE_COLUMNS);
        b.addStatement("final int cw = Math.min($L, cols - c0)", POINTWISE_COLUMNS);
        // in inference with a folded batchnorm the product goes straight into the batchnorm's output, mapped there in
        // place: the conv's own output is never written (each tensor written to memory costs its read as well)
        String target = batchNorm.isPresent() ? "target" : z;
        if (batchNorm.isPresent()) {
            b.addStatement("final float[] target = training ? $L : $L", z, ctx.value(batchNorm.get().output()));
        }
        b.addStatement("gemm.multiplyPacked(p, $L, cw, $L, wPack$L, $L, e0 * $L + c0, n * $L, $L, zAt + c0, zLd, false)", d.f, d.ckk, k, in,
                d.plane(), d.plane(), target);
        if (batchNorm.isPresent()) {
            Op.BatchNormOp bn = batchNorm.get();
            b.beginControlFlow("if (!training)");
            b.beginControlFlow("for (int f = 0; f < $L; f++)", d.f);
            b.addStatement("final float scale = foldScale$L[f], shift = foldShift$L[f]", k, k);
            b.beginControlFlow("for (int i = zAt + f * zLd + c0; i < zAt + f * zLd + c0 + cw; i++)");
            b.addStatement("target[i] = $L", bn.activation() == null ? "target[i] * scale + shift"
                    : ActivationCode.clampOf(bn.activation(), "target[i] * scale + shift"));
            b.endControlFlow().endControlFlow();
            b.addStatement("continue");
            b.endControlFlow();
        }
        if (before != null || p.containsKey("bias")) {
            b.beginControlFlow("for (int f = 0; f < $L; f++)", d.f);
            b.addStatement("final float bias = $L", p.containsKey("bias") ? "params[" + p.get("bias").offset() + " + f]" : "0f");
            b.beginControlFlow("for (int i = zAt + f * zLd + c0; i < zAt + f * zLd + c0 + cw; i++)");
            b.addStatement("final float v = $L[i] + bias", z);
            b.addStatement("$L[i] = $L", z, ActivationCode.apply(before, "v"));
            b.endControlFlow().endControlFlow();
        }
        b.endControlFlow();
    }

    /** Ops' im2col and col2im, or WindowOrder's (the same signatures) where the columns are window-major. */
    private static com.palantir.javapoet.ClassName im2colOwner(Op.ConvOp op) {
        return windowPool(op) ? JavaEmitContext.WINDOW_ORDER : JavaEmitContext.OPS;
    }

    /**
     * A group's weight gradient (into its slot's part) by im2col and a product, or directly; its
     * input gradient by a product and col2im.
     */
    private static void directGradients(CodeBlock.Builder b, Op.ConvOp op, int k, JavaEmitContext ctx, String dz, boolean inputGradient) {
        Dims d = dims(op);
        String in = RecomputedInput.buffer(op, ctx);
        if (pointwise(op)) {
            b.add("// dW[F][C] += dz[F][cols] x the input's rows [C][cols]^T, into the slot's part\n");
            b.addStatement("gemm.multiplyTransposed(p, $L, $L, cols, $L, dzAt, dzLd, $L, e0 * $L, n * $L, wPart$L, slot * $L, $L, true)",
                    d.f, d.ckk, dz, in, d.plane(), d.plane(), k, d.ckk * d.f, d.ckk);
            if (inputGradient) {
                b.add("// input gradient: W^T x dz, straight into the input gradient's rows\n");
                b.addStatement("gemm.multiplyPacked(p, $L, cols, $L, wTPack$L, $L, dzAt, dzLd, $L, e0 * $L, n * $L, false)", d.ckk, d.f, k, dz,
                        ctx.gradSlot(op, op.input()), d.plane(), d.plane());
            }
            return;
        }
        if (directWindow(op, ctx)) {
            b.add("// dW[F][C*KH*KW] += dz x the input, straight from the input planes, into the slot's part\n");
            b.addStatement("conv$L.weightGradient(p, $L, n, e0, e1, $L, dzAt, dzLd, wPart$L, slot * $L, part)", k, in, dz,
                    k, d.ckk * d.f);
        } else {
            b.addStatement("$T.im2col(p, $L, n, e0, e1, col$L, colAt, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", im2colOwner(op),
                    in, k, d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow);
            b.add("// dW[F][C*KH*KW] += dz[F][cols] x col[C*KH*KW][cols]^T, into the slot's part\n");
            b.addStatement("gemm.multiplyTransposed(p, $L, $L, cols, $L, dzAt, dzLd, col$L, colAt, cols, wPart$L, slot * $L, $L, true)",
                    d.f, d.ckk, dz, k, k, d.ckk * d.f, d.ckk);
        }
        if (inputGradient) {
            b.add("// input gradient: dcol = W^T x dz, then col2im\n");
            b.addStatement("gemm.multiplyPacked(p, $L, cols, $L, wTPack$L, $L, dzAt, dzLd, col$L, colAt, cols, false)", d.ckk, d.f, k, dz, k);
            b.addStatement("$T.col2im(p, col$L, colAt, $L, n, e0, e1, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", im2colOwner(op), k,
                    ctx.gradSlot(op, op.input()), d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow);
        }
    }

    /** dz[dzb + at] += g * f'(x) for the activation before the pool, recomputed from the kept product z. */
    private static void addBeforeDerivative(CodeBlock.Builder b, Activation before, String z, String at, String dz, String g) {
        if (before == null) {
            b.addStatement("$L[dzb + $L] += $L", dz, at, g);
            b.addStatement("sum += $L", g);
        } else {
            b.addStatement("final float x = $L[zb + $L] + bias", z, at);
            b.addStatement("final float v = $L", ActivationCode.apply(before, "x"));
            b.addStatement("final float gz = $L * $L", g, ActivationCode.derivative(before, "v"));
            b.addStatement("$L[dzb + $L] += gz", dz, at);
            b.addStatement("sum += gz");
        }
    }
}
