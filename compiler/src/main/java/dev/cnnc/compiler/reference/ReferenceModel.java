package dev.cnnc.compiler.reference;

import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.layers.Flatten;
import dev.cnnc.compiler.layers.GlobalPool;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.layers.Softmax;
import dev.cnnc.compiler.layers.Upsample;
import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.JoinKind;
import dev.cnnc.compiler.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The oracle: every layer's forward and backward as plain loops in double precision, per
 * example in PyTorch's N,C,H,W order, straight from the definitions. Slow and obviously
 * right; generated code is compared with it, never with itself.
 *
 * <p>Same parameter layout as generated code ({@link ParamLayout}); dropout masks come from
 * the caller (in the generated code's layout, [C][n][H*W]) so both use the same ones.
 */
public final class ReferenceModel {
    private final CheckedModel model;
    private final ParamLayout layout;
    public final double[] params;
    public final double[] grads;
    public final double[] state;
    private List<Object> tape;
    private int n;
    private boolean training;
    private IntFunction<float[]> masks;
    private int dropoutIndex;

    /**
     * When set, every layer's output and input gradient is rounded to float32, as generated code
     * stores them; the arithmetic stays in double. Comparing with an unrounded run measures how
     * much a model amplifies float32 storage rounding (its noise floor).
     */
    public boolean roundToFloat;

    private record Step(CheckedNode.Layer layer, double[] x, double[] y, Object saved) {
    }

    /** A join's paths as run, and each path's output. */
    private record Joined(CheckedNode.Join join, List<List<Object>> tapes, List<double[]> ends) {
    }

    private record Fork(List<Object> main, List<Object> shortcut) {
    }

    public ReferenceModel(CheckedModel model) {
        this.model = model;
        this.layout = ParamLayout.of(model);
        this.params = new double[layout.parameterCount()];
        this.grads = new double[layout.parameterCount()];
        this.state = new double[layout.stateCount()];
    }

    public ParamLayout layout() {
        return layout;
    }

    /**
     * Forward for n examples ([n][C*H*W]). In training a final softmax is left out (its output
     * is the logits), as in generated code. {@code dropoutMasks} gives mask k for a training run.
     */
    public double[] forward(double[] input, int n, boolean training, IntFunction<float[]> dropoutMasks) {
        this.n = n;
        this.training = training;
        this.masks = dropoutMasks;
        this.dropoutIndex = 0;
        this.tape = new ArrayList<>();
        return forward(model.nodes(), input, tape);
    }

    /** Gradients of all parameters (overwritten) for the last forward; returns dLoss/dInput. */
    public double[] backward(double[] outputGradient) {
        java.util.Arrays.fill(grads, 0);
        return backward(tape, outputGradient);
    }

    private double[] forward(List<CheckedNode> nodes, double[] x, List<Object> tape) {
        for (int i = 0; i < nodes.size(); i++) {
            CheckedNode node = nodes.get(i);
            if (node instanceof CheckedNode.Layer l) {
                boolean last = nodes == model.nodes() && i == nodes.size() - 1;
                Object[] saved = new Object[1];
                double[] y = round(layerForward(l, x, last, saved));
                tape.add(new Step(l, x, y, saved[0]));
                x = y;
            } else if (node instanceof CheckedNode.Join j) {
                List<List<Object>> tapes = new ArrayList<>();
                List<double[]> ends = new ArrayList<>();
                for (List<CheckedNode> path : j.paths()) {
                    List<Object> t = new ArrayList<>();
                    ends.add(forward(path, x, t));
                    tapes.add(t);
                }
                tape.add(new Joined(j, tapes, ends));
                x = round(joinForward(j, ends));
            } else if (node instanceof CheckedNode.Residual r) {
                List<Object> main = new ArrayList<>();
                List<Object> shortcut = new ArrayList<>();
                double[] a = forward(r.main(), x, main);
                double[] b = forward(r.shortcut(), x, shortcut);
                double[] y = new double[a.length];
                for (int k = 0; k < y.length; k++) {
                    y[k] = a[k] + b[k];
                }
                tape.add(new Fork(main, shortcut));
                x = y;
            }
        }
        return x;
    }

    private double[] backward(List<Object> tape, double[] dy) {
        for (int i = tape.size() - 1; i >= 0; i--) {
            Object entry = tape.get(i);
            if (entry instanceof Step s) {
                dy = round(layerBackward(s, dy));
            } else if (entry instanceof Joined j) {
                double[] dx = null;
                for (int p = 0; p < j.ends().size(); p++) {
                    double[] d = backward(j.tapes().get(p), round(joinBackward(j.join(), j.ends(), p, dy)));
                    if (dx == null) {
                        dx = d;
                    } else {
                        for (int k = 0; k < dx.length; k++) {
                            dx[k] += d[k];
                        }
                    }
                }
                dy = dx;
            } else if (entry instanceof Fork f) {
                double[] da = backward(f.main(), dy);
                double[] db = backward(f.shortcut(), dy);
                double[] dx = new double[da.length];
                for (int k = 0; k < dx.length; k++) {
                    dx[k] = da[k] + db[k];
                }
                dy = dx;
            }
        }
        return dy;
    }

    /**
     * torch.nn.Upsample (align_corners=False) over planes of h x w: y from x, or with
     * {@code backward} x's gradient accumulated from y's (each output spreads its weights back).
     */
    private static void upsample(Upsample u, double[] x, double[] y, int planes, int h, int w, boolean backward) {
        int f = u.factor();
        int oh = h * f, ow = w * f;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int[] ys;
                    int[] xs;
                    double[] wy;
                    double[] wx;
                    if (u.bilinear()) {
                        double sy = Upsample.source(oy, f), sx = Upsample.source(ox, f);
                        int y0 = (int) sy, x0 = (int) sx;
                        ys = new int[] {y0, Math.min(y0 + 1, h - 1)};
                        xs = new int[] {x0, Math.min(x0 + 1, w - 1)};
                        wy = new double[] {1 - (sy - y0), sy - y0};
                        wx = new double[] {1 - (sx - x0), sx - x0};
                    } else {
                        ys = new int[] {oy / f};
                        xs = new int[] {ox / f};
                        wy = new double[] {1};
                        wx = new double[] {1};
                    }
                    int out = (p * oh + oy) * ow + ox;
                    for (int a = 0; a < ys.length; a++) {
                        for (int b = 0; b < xs.length; b++) {
                            int in = (p * h + ys[a]) * w + xs[b];
                            if (backward) {
                                x[in] += wy[a] * wx[b] * y[out];
                            } else {
                                y[out] += wy[a] * wx[b] * x[in];
                            }
                        }
                    }
                }
            }
        }
    }

    /** Values per example and, for images, per channel plane (1 for flat tensors). */
    private static long plane(Shape s) {
        return s.flat() ? 1 : s.height() * s.width();
    }

    /** torch.cat(dim=1), sum, or product with 1x1xC paths broadcast, over [n][C][H][W]. */
    private double[] joinForward(CheckedNode.Join j, List<double[]> ends) {
        Shape out = j.output();
        int per = (int) out.elements();
        double[] y = new double[n * per];
        if (j.kind() == JoinKind.CONCAT) {
            int offset = 0;
            for (int p = 0; p < ends.size(); p++) {
                int size = (int) j.ends().get(p).elements();
                for (int b = 0; b < n; b++) {
                    System.arraycopy(ends.get(p), b * size, y, b * per + offset, size);
                }
                offset += size;
            }
            return y;
        }
        java.util.Arrays.fill(y, j.kind() == JoinKind.ADD ? 0 : 1);
        for (int p = 0; p < ends.size(); p++) {
            for (int i = 0; i < y.length; i++) {
                double v = ends.get(p)[source(j.ends().get(p), out, i)];
                y[i] = j.kind() == JoinKind.ADD ? y[i] + v : y[i] * v;
            }
        }
        return y;
    }

    /** Where output value i reads path shape {@code s}: itself, or its gate value (1x1xC broadcast). */
    private static int source(Shape s, Shape out, int i) {
        if (s.equals(out)) {
            return i;
        }
        long pl = plane(out);
        return (int) (i / pl); // [n][C][H*W] -> [n][C]
    }

    /** The gradient of path p's output. */
    private double[] joinBackward(CheckedNode.Join j, List<double[]> ends, int p, double[] dy) {
        Shape out = j.output();
        Shape mine = j.ends().get(p);
        int per = (int) out.elements();
        double[] d = new double[n * (int) mine.elements()];
        if (j.kind() == JoinKind.CONCAT) {
            int offset = 0;
            for (int q = 0; q < p; q++) {
                offset += (int) j.ends().get(q).elements();
            }
            int size = (int) mine.elements();
            for (int b = 0; b < n; b++) {
                System.arraycopy(dy, b * per + offset, d, b * size, size);
            }
            return d;
        }
        for (int i = 0; i < n * per; i++) {
            double g = dy[i];
            if (j.kind() == JoinKind.MULTIPLY) {
                for (int q = 0; q < ends.size(); q++) {
                    if (q != p) {
                        g *= ends.get(q)[source(j.ends().get(q), out, i)];
                    }
                }
            }
            d[source(mine, out, i)] += g;
        }
        return d;
    }

    private double[] round(double[] values) {
        if (roundToFloat) {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) values[i];
            }
        }
        return values;
    }

    private double[] layerForward(CheckedNode.Layer l, double[] x, boolean last, Object[] saved) {
        Shape in = l.input();
        Shape out = l.output();
        int c = (int) in.channels();
        int h = (int) in.height();
        int w = (int) in.width();
        int oc = (int) out.channels();
        int oh = (int) out.height();
        int ow = (int) out.width();
        double[] y = new double[n * (int) out.elements()];
        Map<String, ParamLayout.Entry> p = layout.of(l.name());
        if (l.spec() instanceof Conv conv) {
            int[] pad = conv.pad();
            int kh = conv.kernelHeight();
            int kw = conv.kernelWidth();
            int wOff = p.get("weight").offset();
            // filter f reads the cg channels of its group, from channel (f / (oc / groups)) * cg
            int cg = c / conv.groups();
            int dh = conv.dilationHeight(), dw = conv.dilationWidth();
            for (int b = 0; b < n; b++) {
                for (int f = 0; f < oc; f++) {
                    int c0 = f / (oc / conv.groups()) * cg;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            double s = conv.bias() ? params[p.get("bias").offset() + f] : 0;
                            for (int ch = 0; ch < cg; ch++) {
                                for (int i = 0; i < kh; i++) {
                                    int iy = oy * conv.strideHeight() + i * dh - pad[0];
                                    for (int j = 0; j < kw; j++) {
                                        int ix = ox * conv.strideWidth() + j * dw - pad[1];
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            s += params[wOff + ((f * cg + ch) * kh + i) * kw + j] * x[((b * c + c0 + ch) * h + iy) * w + ix];
                                        }
                                    }
                                }
                            }
                            y[((b * oc + f) * oh + oy) * ow + ox] = s;
                        }
                    }
                }
            }
        } else if (l.spec() instanceof Pool pool) {
            int[] pad = pool.sides();
            int[] arg = new int[y.length];
            window(x, y, arg, c, h, w, oh, ow, pool.op(), pool.kernelHeight(), pool.kernelWidth(), pool.strideHeight(),
                    pool.strideWidth(), pad);
            saved[0] = arg;
        } else if (l.spec() instanceof GlobalPool g) {
            int[] arg = new int[y.length];
            window(x, y, arg, c, h, w, 1, 1, g.max() ? Pool.Op.MAX : Pool.Op.AVG, h, w, 1, 1, new int[4]);
            saved[0] = arg;
        } else if (l.spec() instanceof Flatten) {
            System.arraycopy(x, 0, y, 0, y.length);
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.ConvTranspose t) {
            // y[b][f][iy*S - P + i*D][ix*S - P + j*D] += x[b][c][iy][ix] * w[c][f - g*F/G][i][j], c in group g
            int fg = oc / t.groups(), cg = c / t.groups();
            int wOff = p.get("weight").offset();
            for (int b = 0; b < n; b++) {
                for (int f = 0; f < oc; f++) {
                    double s = t.bias() ? params[p.get("bias").offset() + f] : 0;
                    java.util.Arrays.fill(y, (b * oc + f) * oh * ow, (b * oc + f + 1) * oh * ow, s);
                }
                for (int ch = 0; ch < c; ch++) {
                    int g = ch / cg;
                    for (int iy = 0; iy < h; iy++) {
                        for (int ix = 0; ix < w; ix++) {
                            double v = x[((b * c + ch) * h + iy) * w + ix];
                            for (int fo = 0; fo < fg; fo++) {
                                for (int i = 0; i < t.kernelHeight(); i++) {
                                    int oy = iy * t.strideHeight() - t.padHeight() + i * t.dilationHeight();
                                    for (int j = 0; j < t.kernelWidth(); j++) {
                                        int ox = ix * t.strideWidth() - t.padWidth() + j * t.dilationWidth();
                                        if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) {
                                            y[((b * oc + g * fg + fo) * oh + oy) * ow + ox] +=
                                                    v * params[wOff + ((ch * fg + fo) * t.kernelHeight() + i) * t.kernelWidth() + j];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.PRelu pr) {
            int slopes = pr.slopes(in);
            int per = (int) in.elements() / (in.flat() ? (int) in.elements() : c);
            int wOff = p.get("weight").offset();
            for (int k = 0; k < y.length; k++) {
                double a = params[wOff + (slopes == 1 ? 0 : k / per % slopes)];
                y[k] = x[k] > 0 ? x[k] : a * x[k];
            }
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.ChannelMap m) {
            int[] src = m.sources(c);
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < oc; o++) {
                    System.arraycopy(x, (b * c + src[o]) * h * w, y, (b * oc + o) * h * w, h * w);
                }
            }
        } else if (l.spec() instanceof Upsample u) {
            upsample(u, x, y, n * c, h, w, false);
        } else if (l.spec() instanceof Dense d) {
            int inF = (int) in.elements();
            int wOff = p.get("weight").offset();
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < d.units(); o++) {
                    double s = d.bias() ? params[p.get("bias").offset() + o] : 0;
                    for (int i = 0; i < inF; i++) {
                        s += params[wOff + o * inF + i] * x[b * inF + i];
                    }
                    y[b * d.units() + o] = s;
                }
            }
        } else if (l.spec() instanceof BatchNorm bn) {
            int plane = in.flat() ? 1 : h * w;
            double[] mean = new double[c];
            double[] var = new double[c];
            int count = n * plane;
            for (int ch = 0; ch < c; ch++) {
                if (training) {
                    double s = 0;
                    for (int b = 0; b < n; b++) {
                        for (int q = 0; q < plane; q++) {
                            s += x[(b * c + ch) * plane + q];
                        }
                    }
                    mean[ch] = s / count;
                    double v = 0;
                    for (int b = 0; b < n; b++) {
                        for (int q = 0; q < plane; q++) {
                            double dd = x[(b * c + ch) * plane + q] - mean[ch];
                            v += dd * dd;
                        }
                    }
                    var[ch] = v / count;
                    int rm = p.get("running_mean").offset() + ch;
                    int rv = p.get("running_var").offset() + ch;
                    state[rm] = (1 - bn.momentum()) * state[rm] + bn.momentum() * mean[ch];
                    state[rv] = (1 - bn.momentum()) * state[rv] + bn.momentum() * (count > 1 ? v / (count - 1) : var[ch]);
                } else {
                    mean[ch] = state[p.get("running_mean").offset() + ch];
                    var[ch] = state[p.get("running_var").offset() + ch];
                }
                double g = params[p.get("weight").offset() + ch];
                double beta = params[p.get("bias").offset() + ch];
                for (int b = 0; b < n; b++) {
                    for (int q = 0; q < plane; q++) {
                        int k = (b * c + ch) * plane + q;
                        y[k] = (x[k] - mean[ch]) / Math.sqrt(var[ch] + bn.eps()) * g + beta;
                    }
                }
            }
            saved[0] = new double[][] {mean, var};
        } else if (l.spec() instanceof Dropout) {
            if (!training) {
                System.arraycopy(x, 0, y, 0, y.length);
            } else {
                double[] mask = maskInExampleOrder(masks.apply(dropoutIndex++), in);
                for (int k = 0; k < y.length; k++) {
                    y[k] = x[k] * mask[k];
                }
                saved[0] = mask;
            }
        } else if (l.spec() instanceof Activation a) {
            for (int k = 0; k < y.length; k++) {
                y[k] = activation(a, x[k]);
            }
        } else if (l.spec() instanceof Softmax) {
            if (training && last) {
                System.arraycopy(x, 0, y, 0, y.length); // folded into the loss
            } else {
                int f = (int) in.elements();
                for (int b = 0; b < n; b++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < f; i++) {
                        max = Math.max(max, x[b * f + i]);
                    }
                    double s = 0;
                    for (int i = 0; i < f; i++) {
                        s += Math.exp(x[b * f + i] - max);
                    }
                    for (int i = 0; i < f; i++) {
                        y[b * f + i] = Math.exp(x[b * f + i] - max) / s;
                    }
                }
                saved[0] = Boolean.TRUE;
            }
        } else {
            throw new IllegalStateException("no reference for " + l.spec().kind());
        }
        return y;
    }

    private double[] layerBackward(Step s, double[] dy) {
        CheckedNode.Layer l = s.layer();
        Shape in = l.input();
        Shape out = l.output();
        int c = (int) in.channels();
        int h = (int) in.height();
        int w = (int) in.width();
        int oc = (int) out.channels();
        int oh = (int) out.height();
        int ow = (int) out.width();
        double[] x = s.x();
        double[] dx = new double[x.length];
        Map<String, ParamLayout.Entry> p = layout.of(l.name());
        if (l.spec() instanceof Conv conv) {
            int[] pad = conv.pad();
            int kh = conv.kernelHeight();
            int kw = conv.kernelWidth();
            int wOff = p.get("weight").offset();
            int cg = c / conv.groups();
            int dh = conv.dilationHeight(), dw = conv.dilationWidth();
            for (int b = 0; b < n; b++) {
                for (int f = 0; f < oc; f++) {
                    int c0 = f / (oc / conv.groups()) * cg;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            double g = dy[((b * oc + f) * oh + oy) * ow + ox];
                            if (conv.bias()) {
                                grads[p.get("bias").offset() + f] += g;
                            }
                            for (int ch = 0; ch < cg; ch++) {
                                for (int i = 0; i < kh; i++) {
                                    int iy = oy * conv.strideHeight() + i * dh - pad[0];
                                    for (int j = 0; j < kw; j++) {
                                        int ix = ox * conv.strideWidth() + j * dw - pad[1];
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            int wi = wOff + ((f * cg + ch) * kh + i) * kw + j;
                                            int xi = ((b * c + c0 + ch) * h + iy) * w + ix;
                                            grads[wi] += g * x[xi];
                                            dx[xi] += g * params[wi];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } else if (l.spec() instanceof Pool pool) {
            windowBackward(dy, dx, (int[]) s.saved(), c, h, w, oh, ow, pool.op(), pool.kernelHeight(), pool.kernelWidth(),
                    pool.strideHeight(), pool.strideWidth(), pool.sides());
        } else if (l.spec() instanceof GlobalPool g) {
            windowBackward(dy, dx, (int[]) s.saved(), c, h, w, 1, 1, g.max() ? Pool.Op.MAX : Pool.Op.AVG, h, w, 1, 1, new int[4]);
        } else if (l.spec() instanceof Flatten) {
            System.arraycopy(dy, 0, dx, 0, dx.length);
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.ConvTranspose t) {
            int fg = oc / t.groups(), cg = c / t.groups();
            int wOff = p.get("weight").offset();
            for (int b = 0; b < n; b++) {
                if (t.bias()) {
                    for (int f = 0; f < oc; f++) {
                        for (int q = 0; q < oh * ow; q++) {
                            grads[p.get("bias").offset() + f] += dy[(b * oc + f) * oh * ow + q];
                        }
                    }
                }
                for (int ch = 0; ch < c; ch++) {
                    int g = ch / cg;
                    for (int iy = 0; iy < h; iy++) {
                        for (int ix = 0; ix < w; ix++) {
                            int xi = ((b * c + ch) * h + iy) * w + ix;
                            for (int fo = 0; fo < fg; fo++) {
                                for (int i = 0; i < t.kernelHeight(); i++) {
                                    int oy = iy * t.strideHeight() - t.padHeight() + i * t.dilationHeight();
                                    for (int j = 0; j < t.kernelWidth(); j++) {
                                        int ox = ix * t.strideWidth() - t.padWidth() + j * t.dilationWidth();
                                        if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) {
                                            int wi = wOff + ((ch * fg + fo) * t.kernelHeight() + i) * t.kernelWidth() + j;
                                            double g0 = dy[((b * oc + g * fg + fo) * oh + oy) * ow + ox];
                                            grads[wi] += g0 * x[xi];
                                            dx[xi] += g0 * params[wi];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.PRelu pr) {
            int slopes = pr.slopes(in);
            int per = (int) in.elements() / (in.flat() ? (int) in.elements() : c);
            int wOff = p.get("weight").offset();
            for (int k = 0; k < dx.length; k++) {
                int at = wOff + (slopes == 1 ? 0 : k / per % slopes);
                dx[k] = x[k] > 0 ? dy[k] : params[at] * dy[k];
                grads[at] += x[k] > 0 ? 0 : x[k] * dy[k];
            }
        } else if (l.spec() instanceof dev.cnnc.compiler.layers.ChannelMap m) {
            int[] src = m.sources(c);
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < oc; o++) {
                    for (int q = 0; q < h * w; q++) {
                        dx[(b * c + src[o]) * h * w + q] += dy[(b * oc + o) * h * w + q];
                    }
                }
            }
        } else if (l.spec() instanceof Upsample u) {
            upsample(u, dx, dy, n * c, h, w, true);
        } else if (l.spec() instanceof Dense d) {
            int inF = (int) in.elements();
            int wOff = p.get("weight").offset();
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < d.units(); o++) {
                    double g = dy[b * d.units() + o];
                    if (d.bias()) {
                        grads[p.get("bias").offset() + o] += g;
                    }
                    for (int i = 0; i < inF; i++) {
                        grads[wOff + o * inF + i] += g * x[b * inF + i];
                        dx[b * inF + i] += g * params[wOff + o * inF + i];
                    }
                }
            }
        } else if (l.spec() instanceof BatchNorm bn) {
            int plane = in.flat() ? 1 : h * w;
            double[][] mv = (double[][]) s.saved();
            int count = n * plane;
            for (int ch = 0; ch < c; ch++) {
                double g = params[p.get("weight").offset() + ch];
                double inv = 1 / Math.sqrt(mv[1][ch] + bn.eps());
                double sumDy = 0;
                double sumDyXhat = 0;
                for (int b = 0; b < n; b++) {
                    for (int q = 0; q < plane; q++) {
                        int k = (b * c + ch) * plane + q;
                        sumDy += dy[k];
                        sumDyXhat += dy[k] * (x[k] - mv[0][ch]) * inv;
                    }
                }
                grads[p.get("weight").offset() + ch] += sumDyXhat;
                grads[p.get("bias").offset() + ch] += sumDy;
                for (int b = 0; b < n; b++) {
                    for (int q = 0; q < plane; q++) {
                        int k = (b * c + ch) * plane + q;
                        if (training) {
                            double xhat = (x[k] - mv[0][ch]) * inv;
                            dx[k] = g * inv * (dy[k] - sumDy / count - xhat * sumDyXhat / count);
                        } else {
                            dx[k] = g * inv * dy[k];
                        }
                    }
                }
            }
        } else if (l.spec() instanceof Dropout) {
            double[] mask = (double[]) s.saved();
            for (int k = 0; k < dx.length; k++) {
                dx[k] = mask == null ? dy[k] : dy[k] * mask[k];
            }
        } else if (l.spec() instanceof Activation a) {
            for (int k = 0; k < dx.length; k++) {
                dx[k] = dy[k] * derivative(a, x[k]);
            }
        } else if (l.spec() instanceof Softmax) {
            if (s.saved() == null) {
                System.arraycopy(dy, 0, dx, 0, dx.length);
            } else {
                int f = (int) in.elements();
                double[] y = s.y();
                for (int b = 0; b < n; b++) {
                    double dot = 0;
                    for (int i = 0; i < f; i++) {
                        dot += dy[b * f + i] * y[b * f + i];
                    }
                    for (int i = 0; i < f; i++) {
                        dx[b * f + i] = y[b * f + i] * (dy[b * f + i] - dot);
                    }
                }
            }
        }
        return dx;
    }

    /**
     * Max, min (the first extreme in scan order, padding excluded) or average (padding counted, the
     * part of a ceil-mode window past it not) pooling; pad is {top, bottom, left, right}.
     */
    private void window(double[] x, double[] y, int[] arg, int c, int h, int w, int oh, int ow, Pool.Op op, int kh, int kw,
                        int sh, int sw, int[] pad) {
        int ph = pad[0], pw = pad[2];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (b * c + ch) * h * w;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = 0;
                        double best = 0;
                        int at = -1;
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                int iy = oy * sh + i - ph;
                                int ix = ox * sw + j - pw;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                    continue;
                                }
                                double v = x[base + iy * w + ix];
                                acc += v;
                                if (at < 0 || (op == Pool.Op.MAX ? v > best : v < best)) {
                                    best = v;
                                    at = base + iy * w + ix;
                                }
                            }
                        }
                        int o = ((b * c + ch) * oh + oy) * ow + ox;
                        y[o] = op == Pool.Op.AVG ? acc / area(oy, ox, kh, kw, sh, sw, pad, h, w) : best;
                        arg[o] = at;
                    }
                }
            }
        }
    }

    /** An average window's divisor: its area inside the input and its padding. */
    private static double area(int oy, int ox, int kh, int kw, int sh, int sw, int[] pad, int h, int w) {
        int y0 = oy * sh - pad[0], x0 = ox * sw - pad[2];
        return (double) (Math.min(y0 + kh, h + pad[1]) - y0) * (Math.min(x0 + kw, w + pad[3]) - x0);
    }

    private void windowBackward(double[] dy, double[] dx, int[] arg, int c, int h, int w, int oh, int ow, Pool.Op op, int kh,
                                int kw, int sh, int sw, int[] pad) {
        int ph = pad[0], pw = pad[2];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (b * c + ch) * h * w;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int o = ((b * c + ch) * oh + oy) * ow + ox;
                        if (op != Pool.Op.AVG) {
                            dx[arg[o]] += dy[o];
                            continue;
                        }
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                int iy = oy * sh + i - ph;
                                int ix = ox * sw + j - pw;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    dx[base + iy * w + ix] += dy[o] / area(oy, ox, kh, kw, sh, sw, pad, h, w);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** The generated code's mask is laid out [C][n][H*W] for spatial tensors; ours is [n][C][H*W]. */
    private double[] maskInExampleOrder(float[] mask, Shape s) {
        int per = (int) s.elements();
        double[] out = new double[n * per];
        if (s.flat()) {
            for (int k = 0; k < out.length; k++) {
                out[k] = mask[k];
            }
            return out;
        }
        int c = (int) s.channels();
        int plane = (int) (s.height() * s.width());
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int q = 0; q < plane; q++) {
                    out[(b * c + ch) * plane + q] = mask[(ch * n + b) * plane + q];
                }
            }
        }
        return out;
    }

    static double activation(Activation a, double v) {
        return switch (a.function()) {
            case RELU -> Math.max(v, 0);
            case LEAKYRELU -> v > 0 ? v : a.slope() * v;
            case SIGMOID -> 1 / (1 + Math.exp(-v));
            case TANH -> Math.tanh(v);
            case RELU6 -> Math.min(Math.max(v, 0), 6);
            case HARDSIGMOID -> Math.min(Math.max(v / 6 + 0.5, 0), 1);
            case HARDSWISH -> v * Math.min(Math.max(v + 3, 0), 6) / 6;
            case SILU -> v / (1 + Math.exp(-v));
            case ELU -> v > 0 ? v : a.slope() * Math.expm1(v);
            case GELU -> dev.cnnc.runtime.kernels.Activations.gelu(v);
            case GELU_TANH -> dev.cnnc.runtime.kernels.Activations.geluTanh(v);
        };
    }

    static double derivative(Activation a, double x) {
        return switch (a.function()) {
            case RELU -> x > 0 ? 1 : 0;
            case LEAKYRELU -> x > 0 ? 1 : a.slope();
            case SIGMOID -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 - s);
            }
            case TANH -> {
                double t = Math.tanh(x);
                yield 1 - t * t;
            }
            case RELU6 -> x > 0 && x < 6 ? 1 : 0;
            case HARDSIGMOID -> x > -3 && x < 3 ? 1.0 / 6 : 0;
            case HARDSWISH -> x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5;
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
            case ELU -> x > 0 ? 1 : a.slope() * Math.exp(x);
            case GELU -> dev.cnnc.runtime.kernels.Activations.geluDerivative(x);
            case GELU_TANH -> dev.cnnc.runtime.kernels.Activations.geluTanhDerivative(x);
        };
    }
}
