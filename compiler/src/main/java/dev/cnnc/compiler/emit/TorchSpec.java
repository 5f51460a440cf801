package dev.cnnc.compiler.emit;

import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.layers.Flatten;
import dev.cnnc.compiler.layers.GlobalPool;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.layers.Softmax;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.report.Json;
import dev.cnnc.compiler.train.TrainConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checked model as JSON that tools/torch_reference.py turns into the equivalent torch.nn
 * network (same layer names, so safetensors files move between the two), for cross-checks
 * and comparisons with PyTorch.
 */
public final class TorchSpec {
    private TorchSpec() {
    }

    public static String json(CheckedModel model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", model.name());
        m.put("input", model.input().flat() ? List.of(model.input().channels())
                : List.of(model.input().channels(), model.input().height(), model.input().width()));
        m.put("layers", nodes(model.nodes(), true));
        TrainConfig t = model.train();
        if (t != null && t.normalize() != null) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("scale", t.normalize().scale() == null ? 1.0 : t.normalize().scale());
            n.put("mean", t.normalize().mean());
            n.put("std", t.normalize().std());
            m.put("normalize", n);
        }
        if (t != null && t.optimizer() != null) {
            TrainConfig.Optimizer o = t.optimizer();
            Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("kind", o.kind().name().toLowerCase(java.util.Locale.ROOT));
            opt.put("lr", o.lr());
            opt.put("momentum", o.momentum());
            opt.put("nesterov", o.nesterov());
            opt.put("beta1", o.beta1());
            opt.put("beta2", o.beta2());
            opt.put("eps", o.eps());
            opt.put("weight_decay", t.weightDecay() == null ? 0.0 : t.weightDecay());
            m.put("optimizer", opt);
        }
        return Json.write(m);
    }

    /** Padding per side, top bottom left right. */
    private static List<Integer> sides(int[] s) {
        return List.of(s[0], s[1], s[2], s[3]);
    }

    private static List<Object> nodes(List<CheckedNode> nodes, boolean top) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            CheckedNode node = nodes.get(i);
            Map<String, Object> j = new LinkedHashMap<>();
            if (node instanceof CheckedNode.Join join) {
                j.put("kind", "join");
                j.put("join", join.kind().word());
                j.put("paths", join.paths().stream().map(p -> nodes(p, false)).toList());
                out.add(j);
                continue;
            }
            if (node instanceof CheckedNode.Residual r) {
                j.put("kind", "residual");
                j.put("main", nodes(r.main(), false));
                j.put("shortcut", nodes(r.shortcut(), false));
                out.add(j);
                continue;
            }
            CheckedNode.Layer l = (CheckedNode.Layer) node;
            j.put("name", l.name());
            if (l.spec() instanceof Conv c) {
                j.put("kind", "conv");
                j.put("in", l.input().channels());
                j.put("out", c.filters());
                j.put("kernel", List.of(c.kernelHeight(), c.kernelWidth()));
                j.put("stride", List.of(c.strideHeight(), c.strideWidth()));
                j.put("padding", List.of(c.pad()[0], c.pad()[1]));
                if (!c.padding().symmetric()) {
                    j.put("sides", sides(c.sides()));
                }
                j.put("bias", c.bias());
                j.put("groups", c.groups());
                j.put("dilation", List.of(c.dilationHeight(), c.dilationWidth()));
            } else if (l.spec() instanceof Pool p) {
                j.put("kind", p.kind());
                j.put("kernel", List.of(p.kernelHeight(), p.kernelWidth()));
                j.put("stride", List.of(p.strideHeight(), p.strideWidth()));
                j.put("padding", List.of(p.pad()[0], p.pad()[1]));
                if (!p.padding().symmetric()) {
                    j.put("sides", sides(p.sides()));
                }
                j.put("ceil", p.ceil());
                j.put("out_hw", List.of(l.output().height(), l.output().width()));
            } else if (l.spec() instanceof GlobalPool g) {
                j.put("kind", g.kind());
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.Upsample u) {
                j.put("kind", "upsample");
                j.put("factor", u.factor());
                j.put("mode", u.bilinear() ? "bilinear" : "nearest");
            } else if (l.spec() instanceof Flatten) {
                j.put("kind", "flatten");
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.ConvTranspose t) {
                j.put("kind", "convtranspose");
                j.put("in", l.input().channels());
                j.put("out", t.filters());
                j.put("kernel", List.of(t.kernelHeight(), t.kernelWidth()));
                j.put("stride", List.of(t.strideHeight(), t.strideWidth()));
                j.put("padding", List.of(t.padHeight(), t.padWidth()));
                j.put("output_padding", List.of(t.outPadHeight(), t.outPadWidth()));
                j.put("groups", t.groups());
                j.put("dilation", List.of(t.dilationHeight(), t.dilationWidth()));
                j.put("bias", t.bias());
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.PRelu pr) {
                j.put("kind", "prelu");
                j.put("parameters", pr.slopes(l.input()));
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.Shuffle s) {
                j.put("kind", "shuffle");
                j.put("groups", s.groups());
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.Split s) {
                j.put("kind", "split");
                j.put("parts", s.parts());
                j.put("take", s.take());
            } else if (l.spec() instanceof Dense d) {
                j.put("kind", "dense");
                j.put("in", l.input().elements());
                j.put("out", d.units());
                j.put("bias", d.bias());
            } else if (l.spec() instanceof BatchNorm b) {
                j.put("kind", "batchnorm");
                j.put("features", l.input().channels());
                j.put("spatial", !l.input().flat());
                j.put("momentum", b.momentum());
                j.put("eps", b.eps());
            } else if (l.spec() instanceof Dropout d) {
                j.put("kind", "dropout");
                j.put("p", d.probability());
                j.put("rows", d.perExample());
            } else if (l.spec() instanceof Activation a) {
                j.put("kind", a.kind());
                j.put("slope", a.slope());
                if (a.function() == Activation.Function.GELU_TANH) {
                    j.put("approximate", "tanh");
                }
            } else if (l.spec() instanceof Softmax) {
                j.put("kind", "softmax");
                j.put("last", top && i == nodes.size() - 1);
            } else {
                throw new IllegalStateException("no torch equivalent for " + l.spec().kind());
            }
            out.add(j);
        }
        return out;
    }
}
