package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.model.Shape;
import java.util.function.BiFunction;

/** Window and global pooling; {@link #emit(ClEmitContext, int, String, Pool.Op, int, int, int, int, int, int, int, int, int, int, int, Activation, String, String, String, String, String, String)} also serves conv epilogues. */
final class PoolKernels implements ClOpEmitter<Op.PoolOp> {
    @Override
    public void emit(int k, Op.PoolOp op, ClEmitContext ctx) {
        Shape in = op.input().shape();
        Shape os = op.output().shape();
        int c = (int) in.channels(), h = (int) in.height(), w = (int) in.width(), oh = (int) os.height(), ow = (int) os.width();
        String aBuf = "A" + k;
        ctx.out.buffer(aBuf, (long) c * oh * ow, 0, true);
        PoolKernels.emit(ctx, k, "pool", op.kind(), c, h, w, oh, ow, op.kh(), op.kw(), op.sh(), op.sw(), op.ph(), op.pw(), op.pb(), op.pr(), null,
                ClEmitContext.value(op.input()), ClEmitContext.value(op.output()), aBuf, ClEmitContext.grad(op.output()), ctx.slot(k, op.input()), ctx.inputWhen(op.input()));
    }

    /** A pool padded alike on both sides of each axis, in floor mode (what a conv epilogue fuses). */
    static void emit(ClEmitContext ctx, int k, String label, Pool.Op kind, int c, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw,
                     int ph, int pw, Activation after, String x, String y, String aBuf, String dy, String dx, String dxWhen) {
        emit(ctx, k, label, kind, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, ph, pw, after, x, y, aBuf, dy, dx, dxWhen);
    }

    /**
     * An average window's divisor in OpenCL C, for window (qy, qx): its area inside the input and
     * its padding (pb below, pr right), a constant unless a ceil-mode window hangs past it.
     */
    private static String area(String qy, String qx, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr) {
        boolean whole = (oh - 1) * sh - ph + kh <= h + pb && (ow - 1) * sw - pw + kw <= w + pr;
        if (whole) {
            return (kh * kw) + ".0f";
        }
        String rows = "(min(" + qy + " * " + sh + " - " + ph + " + " + kh + ", " + (h + pb) + ") - (" + qy + " * " + sh + " - " + ph + "))";
        String cols = "(min(" + qx + " * " + sw + " - " + pw + " + " + kw + ", " + (w + pr) + ") - (" + qx + " * " + sw + " - " + pw + "))";
        return "(float) (" + rows + " * " + cols + ")";
    }

    /**
     * Window pooling over {@code c} planes of h x w per example, then {@code after}; and, when
     * {@code dy} is given, its backward (each input position gathers from the windows holding it).
     */
    static void emit(ClEmitContext ctx, int k, String label, Pool.Op kind, int c, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw,
                     int ph, int pw, int pb, int pr, Activation after, String x, String y, String aBuf, String dy, String dx, String dxWhen) {
        StringBuilder body = new StringBuilder()
                .append("    const __global float* xp = x + pl * ").append(h * w).append(";\n");
        if (ph == 0 && pw == 0 && (oh - 1) * sh + kh <= h && (ow - 1) * sw + kw <= w) {
            unrolled(body, kind, kh, kw, sh, sw, w);
        } else {
            loops(body, kind, kh, kw, sh, sw, ph, pw, h, w, area("oy", "ox", h, w, oh, ow, kh, kw, sh, sw, ph, pw, pb, pr));
        }
        body.append("    y[gid] = ").append(ClActivation.apply(after, "best")).append(";\n");
        String name = "op" + k + "_" + label;
        ctx.planeKernel(true, k, name + "_fwd", "__global const float* x, __global float* y, __global int* args", c, oh, ow, "ox", "oy", null,
                body.toString(), x, y, aBuf);
        if (dy == null) {
            return;
        }
        String params = "__global const float* dy, __global const int* args, __global float* dx";
        if (tiles(h, w, oh, ow, kh, kw, sh, sw, ph, pw)) {
            ctx.planeKernel(false, k, name + "_dx", params, c, oh, ow, "ox", "oy", dxWhen,
                    routeToWindow(kind, kh, kw, sh, sw, h, w, "dy[gid]", "dx", (routed, at) -> routed), dy, aBuf, dx);
            return;
        }
        String route = kind == Pool.Op.AVG ? "                g += dy[o] / " + area("qy", "qx", h, w, oh, ow, kh, kw, sh, sw, ph, pw, pb, pr) + ";\n"
                : "                if (args[o] == iy * " + w + " + ix) g += dy[o];\n";
        ctx.planeKernel(false, k, name + "_dx", params, c, h, w, "ix", "iy", dxWhen,
                ClEmitContext.windowLoops(oh, ow, kh, kw, sh, sw, ph, pw, "iy", "ix",
                        "                const int o = pl * " + (oh * ow) + " + qy * " + ow + " + qx;\n" + route)
                        + "    dx[gid] = g;\n", dy, aBuf, dx);
    }

    /** Whether every input position lies in exactly one window: windows side by side, none over padding, nothing left over. */
    static boolean tiles(int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw) {
        return kh == sh && kw == sw && ph == 0 && pw == 0 && oh * sh == h && ow * sw == w;
    }

    /**
     * The body of a backward kernel over pooled outputs (ox, oy, pl; gid their index) whose
     * windows {@link #tiles tile} the input: the output's gradient {@code g} goes to the tap that
     * won (max, min) or to every tap (avg), and every tap is written by the one item whose window
     * holds it, so nothing is gathered and nothing cleared first. {@code store} turns the routed
     * value and the tap's index in {@code dst} into what is stored.
     */
    static String routeToWindow(Pool.Op kind, int kh, int kw, int sh, int sw, int h, int w, String g, String dst,
                                BiFunction<String, String, String> store) {
        boolean avg = kind == Pool.Op.AVG;
        StringBuilder b = new StringBuilder()
                .append("    const float g = ").append(g).append(avg ? " / " + (kh * kw) + ".0f" : "").append(";\n")
                .append(avg ? "" : "    const int arg = args[gid];\n")
                .append("    const int at = oy * ").append(sh * w).append(" + ox * ").append(sw).append(", base = pl * ").append(h * w).append(";\n");
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                int t = i * w + j;
                b.append("    { const float r = ").append(avg ? "g" : "arg == at + " + t + " ? g : 0.0f").append("; ")
                        .append(dst).append("[base + at + ").append(t).append("] = ").append(store.apply("r", "base + at + " + t)).append("; }\n");
            }
        }
        return b.toString();
    }

    /** Every window inside the input: the taps unrolled, no bounds checks, selects instead of branches. */
    private static void unrolled(StringBuilder body, Pool.Op kind, int kh, int kw, int sh, int sw, int w) {
        body.append("    const int at = oy * ").append(sh * w).append(" + ox * ").append(sw).append(";\n");
        if (kind == Pool.Op.AVG) {
            body.append("    float best = 0.0f;\n");
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    body.append("    best += xp[at + ").append(i * w + j).append("];\n");
                }
            }
            body.append("    best /= ").append(kh * kw).append(".0f;\n");
            return;
        }
        // Ordered compares only, then the last NaN of the window (if any) wins, as in PyTorch
        // (take if v > best or v is NaN): one condition per select keeps PoCL's vectoriser on
        // (2.1 ms -> 0.9 ms for conv1's epilogue at batch 64, measured in a one-kernel harness).
        body.append("    float best = xp[at];\n    int arg = at, nanAt = best != best ? at : -1;\n");
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                if (i + j == 0) {
                    continue;
                }
                int t = i * w + j;
                body.append("    { const float v = xp[at + ").append(t).append("]; const bool take = v ").append(kind == Pool.Op.MAX ? ">" : "<")
                        .append(" best; best = take ? v : best; arg = take ? at + ").append(t).append(" : arg; nanAt = v != v ? at + ").append(t)
                        .append(" : nanAt; }\n");
            }
        }
        body.append("    arg = nanAt >= 0 ? nanAt : arg;\n    best = nanAt >= 0 ? NAN : best;\n    args[gid] = arg;\n");
    }

    /** Windows that may reach into padding or past the input: loops over the taps that lie inside. */
    private static void loops(StringBuilder body, Pool.Op kind, int kh, int kw, int sh, int sw, int ph, int pw, int h, int w, String area) {
        boolean avg = kind == Pool.Op.AVG;
        body.append("    float best = ").append(kind == Pool.Op.MAX ? "-INFINITY" : kind == Pool.Op.MIN ? "INFINITY" : "0.0f")
                .append(";\n    int arg = -1;\n")
                .append("    for (int i = 0; i < ").append(kh).append("; i++) {\n")
                .append(ClEmitContext.clippedTap("        ", "iy", "oy", sh, "i", ph, h))
                .append("        for (int j = 0; j < ").append(kw).append("; j++) {\n")
                .append(ClEmitContext.clippedTap("            ", "ix", "ox", sw, "j", pw, w))
                .append("            const float v = xp[iy * ").append(w).append(" + ix];\n");
        if (avg) {
            body.append("            best += v;\n        }\n    }\n    best /= ").append(area).append(";\n");
        } else {
            body.append("            if (arg < 0 || v ").append(kind == Pool.Op.MAX ? ">" : "<").append(" best || isnan(v)) { best = v; arg = iy * ")
                    .append(w).append(" + ix; }\n        }\n    }\n    args[gid] = arg;\n");
        }
    }
}
