package dev.cnnc.cli;

import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.syntax.Padding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model whose <em>training</em> forward computes what the given model computes in inference,
 * with the tensors that make it so. Gradients of a trained network (Grad-CAM, saliency) are taken
 * in eval mode, as PyTorch users take them after {@code model.eval()}; generated code only
 * differentiates its training forward, whose batchnorm uses the batch's statistics and whose
 * dropout drops. So each batchnorm becomes the per-channel affine map its running statistics
 * define, as a layer the backward already knows (a depthwise 1x1 conv with bias; a diagonal
 * dense layer on features), and dropout goes. Every other layer, name and tensor stays.
 */
record EvalEquivalent(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors) {

    static EvalEquivalent of(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors) {
        Map<String, Map.Entry<int[], float[]>> out = new LinkedHashMap<>(tensors);
        List<CheckedNode> nodes = rewrite(model.nodes(), tensors, out);
        return new EvalEquivalent(new CheckedModel(model.name() + "Eval", model.file(), model.input(), nodes, model.train(),
                model.trainableParams(), model.nonTrainableParams(), model.flops(), model.activationElements()), out);
    }

    private static List<CheckedNode> rewrite(List<CheckedNode> nodes, Map<String, Map.Entry<int[], float[]>> in,
                                             Map<String, Map.Entry<int[], float[]>> out) {
        List<CheckedNode> result = new ArrayList<>();
        for (CheckedNode n : nodes) {
            if (n instanceof CheckedNode.Layer l && l.spec() instanceof Dropout) {
                continue; // the identity in inference
            } else if (n instanceof CheckedNode.Layer l && l.spec() instanceof BatchNorm bn) {
                result.add(affine(l, bn, in, out));
            } else if (n instanceof CheckedNode.Join j) {
                result.add(new CheckedNode.Join(j.name(), j.span(), j.kind(), j.input(), j.output(),
                        j.paths().stream().map(p -> rewrite(p, in, out)).toList(), j.ends(), j.flops()));
            } else if (n instanceof CheckedNode.Residual r) {
                result.add(new CheckedNode.Residual(r.name(), r.span(), r.input(), r.output(), rewrite(r.main(), in, out),
                        rewrite(r.shortcut(), in, out), r.addFlops()));
            } else {
                result.add(n);
            }
        }
        return result;
    }

    /** y = x * gamma / sqrt(var + eps) + (beta - mean * gamma / sqrt(var + eps)), as its own layer under the batchnorm's name. */
    private static CheckedNode.Layer affine(CheckedNode.Layer l, BatchNorm bn, Map<String, Map.Entry<int[], float[]>> in,
                                            Map<String, Map.Entry<int[], float[]>> out) {
        int c = (int) l.input().channels();
        float[] gamma = tensor(in, l.name() + ".weight", c), beta = tensor(in, l.name() + ".bias", c);
        float[] mean = tensor(in, l.name() + ".running_mean", c), var = tensor(in, l.name() + ".running_var", c);
        float[] scale = new float[c], shift = new float[c];
        for (int i = 0; i < c; i++) {
            double s = gamma[i] / Math.sqrt(var[i] + bn.eps());
            scale[i] = (float) s;
            shift[i] = (float) (beta[i] - mean[i] * s);
        }
        out.keySet().removeIf(k -> k.startsWith(l.name() + "."));
        out.put(l.name() + ".bias", Map.entry(new int[] {c}, shift));
        if (l.input().flat()) {
            float[] diagonal = new float[c * c];
            for (int i = 0; i < c; i++) {
                diagonal[i * c + i] = scale[i];
            }
            out.put(l.name() + ".weight", Map.entry(new int[] {c, c}, diagonal));
            return new CheckedNode.Layer(l.name(), new Dense(c, true), l.span(), l.input(), l.output(), (long) c * c + c, 0, l.flops());
        }
        out.put(l.name() + ".weight", Map.entry(new int[] {c, 1, 1, 1}, scale));
        return new CheckedNode.Layer(l.name(), new Conv(c, 1, 1, 1, 1, Padding.VALID, true, c, 1, 1), l.span(), l.input(), l.output(),
                2L * c, 0, l.flops());
    }

    private static float[] tensor(Map<String, Map.Entry<int[], float[]>> tensors, String name, int size) {
        Map.Entry<int[], float[]> t = tensors.get(name);
        if (t == null || t.getValue().length != size) {
            // the caller loads these tensors into the original model first, which names what is missing
            throw new IllegalArgumentException("no tensor " + name + " of " + size + " values");
        }
        return t.getValue();
    }
}
