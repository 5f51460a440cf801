package dev.cnnc.cli;

import dev.cnnc.cli.viz.CamImage;
import dev.cnnc.cli.viz.GradCam;
import dev.cnnc.cli.viz.Png;
import dev.cnnc.compiler.emit.java.InMemoryJavac;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cnnc viz cam}: which part of an image drove a class. The model is cut after the explained
 * layer: the part before it gives the activations A (in inference), the part after it, taking A
 * as its input, gives d score / d A by its generated backward with input gradients; the whole
 * model's input gradient gives the saliency map. Gradients come from the model's
 * {@link EvalEquivalent}, so batchnorm and dropout act as in inference, as after PyTorch's
 * {@code model.eval()}. The score is the class's logit (before a final softmax).
 */
@Command(name = "cam", header = "Grad-CAM and saliency: which part of an image drove a class.", description = {
    "Grad-CAM (Selvaraju et al. 2017) at one layer (default: the last conv or activation output larger than 1x1 outside branches):",
    "its channels weighted by the mean gradient of the class's score, summed, clipped at zero and resized to the image, drawn over it;",
    "beside it the saliency map, the largest |d score / d input| over the input's channels. The score is the class's logit.",
    "Gradients come from the generated backward, in inference mode (batchnorm's running statistics, no dropout), on either backend."})
final class VizCam extends ModelCommand {
    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the trained weights")
    Path weights;

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "the image (PNG, JPEG...), resized to the model's input")
    Path image;

    @Option(names = "--class", converter = FlagValues.Natural.class, paramLabel = "K", description = "the class to explain, from 0 (default: the predicted one)")
    Integer classIndex;

    @Option(names = "--layer", paramLabel = "NAME", description = "the layer whose output Grad-CAM weighs, outside branches, as cnnc check names it")
    String layer;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.png", description = "where to write the image (default: beside the weights, cam-LAYER.png)")
    Path output;

    @Option(names = "--save-maps", paramLabel = "MAPS.safetensors", description = "also write the numbers: cam [H][W] (resized, before colouring), cam_LAYER [h][w], saliency [H][W]")
    Path saveMaps;

    @picocli.CommandLine.Mixin
    BuildOptions build;

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop, InMemoryJavac.Failure {
        if (!model.output().flat() || model.input().flat()) {
            throw new Models.Stop(Main.USAGE, "viz cam explains the class an image is given: " + model.name() + " maps " + model.input() + " to "
                    + model.output() + ", not an image to class scores");
        }
        List<CheckedNode> top = model.nodes();
        int cut = cut(model, top);
        CheckedNode.Layer explained = (CheckedNode.Layer) top.get(cut);
        VizInput in = VizInput.read(model, image, weights);
        int classes = (int) model.output().channels();
        if (classIndex != null && classIndex >= classes) {
            throw new Models.Stop(Main.USAGE, "--class " + classIndex + ": " + model.name() + " has " + classes + " classes, 0 to " + (classes - 1));
        }
        float[] scores = run(model, in.normalised(), in);
        int k = classIndex != null ? classIndex : argmax(scores);
        Shape a = explained.output();
        float[] activations = run(prefix(model, cut), in.normalised(), in);
        activations = Arrays.copyOf(activations, (int) a.elements());

        EvalEquivalent eval = EvalEquivalent.of(model, in.tensors());
        List<CheckedNode> evalTop = eval.model().nodes();
        int evalCut = evalTop.indexOf(explained);
        CheckedModel suffix = new CheckedModel(model.name() + "From" + cut, model.file(), a, evalTop.subList(evalCut + 1, evalTop.size()), null, 0, 0, 0, 0);
        float[] dA = inputGradient(suffix, activations, eval.tensors(), k);
        float[] dx = inputGradient(eval.model(), in.normalised(), eval.tensors(), k);

        int h = (int) a.height(), w = (int) a.width(), height = in.spec().height(), width = in.spec().width();
        float[] camSmall = GradCam.map(activations, dA, (int) a.channels(), h, w);
        float[] cam = GradCam.resize(camSmall, h, w, height, width);
        float[] saliency = GradCam.saliency(dx, in.spec().channels(), height * width);
        if (saveMaps != null) {
            Map<String, float[]> data = new LinkedHashMap<>();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            data.put("cam", cam);
            shapes.put("cam", new int[] {height, width});
            data.put("cam_" + explained.name(), camSmall);
            shapes.put("cam_" + explained.name(), new int[] {h, w});
            data.put("saliency", saliency);
            shapes.put("saliency", new int[] {height, width});
            try {
                Safetensors.write(saveMaps, data, shapes);
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", saveMaps, e));
            }
        }
        String what = top.get(top.size() - 1) instanceof CheckedNode.Layer last && last.spec() instanceof dev.cnnc.compiler.layers.Softmax ? String.format(" (probability %.3f)", scores[k])
                : String.format(" (score %.3g)", scores[k]);
        String title = model.name() + ": class " + k + what + (k == argmax(scores) ? ", the predicted one" : ", predicted " + argmax(scores))
                + "; Grad-CAM at " + explained.name() + " " + a;
        Path target = output != null ? output : weights.toAbsolutePath().resolveSibling("cam-" + explained.name() + ".png");
        try {
            Png.write(CamImage.draw(title, in.pixels(), in.spec().channels(), height, width, cam, saliency), target);
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", target, e));
        }
        out.println(target);
        return 0;
    }

    /** The top-level node Grad-CAM weighs: --layer, or the last conv or activation whose output is larger than 1x1. */
    private int cut(CheckedModel model, List<CheckedNode> top) throws Models.Stop {
        List<String> candidates = new java.util.ArrayList<>();
        int chosen = -1;
        for (int i = 0; i < top.size() - 1; i++) {
            if (top.get(i) instanceof CheckedNode.Layer l && !l.output().flat()) {
                candidates.add(l.name());
                boolean spatial = l.output().height() * l.output().width() > 1;
                boolean kind = !(l.spec() instanceof Pool || l.spec() instanceof BatchNorm || l.spec() instanceof Dropout);
                if (layer != null ? l.name().equals(layer) : spatial && kind) {
                    chosen = i;
                }
            }
        }
        if (layer != null && chosen < 0) {
            throw new Models.Stop(Main.USAGE, "--layer " + layer + ": not a layer of " + model.name() + " outside branches with an HxWxC output"
                    + " before its last layer; those are " + String.join(", ", candidates));
        }
        if (chosen < 0) {
            throw new Models.Stop(Main.USAGE, model.name() + " has no conv or activation output larger than 1x1 outside branches; name one with --layer"
                    + (candidates.isEmpty() ? "" : " (" + String.join(", ", candidates) + ")"));
        }
        return chosen;
    }

    private static CheckedModel prefix(CheckedModel model, int cut) {
        return new CheckedModel(model.name() + "Upto" + cut, model.file(), model.input(), model.nodes().subList(0, cut + 1), null, 0, 0, 0, 0);
    }

    /** The model's inference output on x, with the weights read. */
    private float[] run(CheckedModel model, float[] x, VizInput in) throws Models.Stop, InMemoryJavac.Failure {
        try (Network net = build.build(model, 1)) {
            Safetensors.load(net, weights, in.tensors());
            net.forward(x, 1, false);
            return Arrays.copyOf(net.output(), net.outputSize());
        } catch (Safetensors.BadFile e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
    }

    /** d output[k] / d x: the model's training forward (its eval equivalent's, so inference) and backward from a one-hot gradient. */
    private float[] inputGradient(CheckedModel model, float[] x, Map<String, Map.Entry<int[], float[]>> tensors, int k)
            throws Models.Stop, InMemoryJavac.Failure {
        try (Network net = build.build(model, 1)) {
            Safetensors.load(net, weights, tensors);
            net.setInputGradientEnabled(true);
            net.forward(x, 1, true);
            float[] g = net.outputGradient();
            Arrays.fill(g, 0, net.outputSize(), 0f);
            g[k] = 1f;
            net.backward(1);
            return Arrays.copyOf(net.inputGradient(), net.inputSize());
        } catch (Safetensors.BadFile e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
