package dev.cnnc.cli;

import dev.cnnc.cli.viz.FilterGrid;
import dev.cnnc.cli.viz.Png;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cnnc viz}: pictures of what a trained network holds. */
@Command(name = "viz", header = "Pictures of a trained network: its filters, the feature maps of an image, and what drove a class.",
        description = "Draw what a trained network holds, and what it makes of an image, as PNG images.",
        subcommands = {VizCommand.Filters.class, VizCommand.Features.class, VizCam.class})
final class VizCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    HelpOption help;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("cnnc: error: viz needs a picture to draw: filters, features or cam\n  see: cnnc viz --help");
        return Main.USAGE;
    }

    @Command(name = "features", header = "The activation maps an image produces, layer by layer.", description = {
        "The activation maps an image produces at each chosen layer (default: every conv and pool output outside branches),",
        "a labelled band of one tile per channel each. Each layer's maps come from the model cut after that layer and",
        "compiled on its own, so this works for every model cnnc compiles, on either backend."})
    static final class Features extends ModelCommand {
        @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the trained weights")
        Path weights;

        @Option(names = "--image", required = true, paramLabel = "IMG", description = "the image (PNG, JPEG...), resized to the model's input")
        Path image;

        @Option(names = "--layer", paramLabel = "NAME", arity = "1..*", description = "layers outside branches, as cnnc check names them")
        List<String> layers;

        @Option(names = {"-o", "--output"}, paramLabel = "OUT.png", description = "where to write the image (default: beside the weights, features.png)")
        Path output;

        @Option(names = "--save-maps", paramLabel = "MAPS.safetensors", description = "also write the maps as numbers, a [C][H][W] tensor named after each layer")
        Path saveMaps;

        @picocli.CommandLine.Mixin
        BuildOptions build;

        @Override
        int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop, dev.cnnc.compiler.emit.java.InMemoryJavac.Failure {
            List<CheckedNode> top = model.nodes();
            List<Integer> cuts = new java.util.ArrayList<>();
            java.util.Set<String> named = new java.util.LinkedHashSet<>(layers == null ? List.of() : layers);
            for (int i = 0; i < top.size(); i++) {
                if (top.get(i) instanceof CheckedNode.Layer l && !l.output().flat()
                        && (named.isEmpty() ? l.spec() instanceof Conv || l.spec() instanceof dev.cnnc.compiler.layers.Pool : named.remove(l.name()))) {
                    cuts.add(i);
                }
            }
            if (!named.isEmpty()) {
                throw new Models.Stop(Main.USAGE, "--layer " + String.join(", ", named) + ": not a layer of " + model.name()
                        + " outside branches with an HxWxC output; those are " + String.join(", ", top.stream()
                        .filter(n -> n instanceof CheckedNode.Layer l && !l.output().flat()).map(n -> ((CheckedNode.Layer) n).name()).toList()));
            }
            if (cuts.isEmpty()) {
                throw new Models.Stop(Main.USAGE, model.name() + " has no conv or pool layer outside branches; name layers with --layer");
            }
            VizInput in = VizInput.read(model, image, weights);
            float[] x = in.normalised();
            Map<String, Map.Entry<int[], float[]>> tensors = in.tensors();
            List<dev.cnnc.cli.viz.FeatureGrid.Layer> bands = new java.util.ArrayList<>();
            for (int cut : cuts) {
                bands.add(activation(model, cut, x, tensors));
            }
            if (saveMaps != null) {
                Map<String, float[]> data = new java.util.LinkedHashMap<>();
                Map<String, int[]> shapes = new java.util.LinkedHashMap<>();
                for (int i = 0; i < cuts.size(); i++) {
                    var band = bands.get(i);
                    String name = ((CheckedNode.Layer) top.get(cuts.get(i))).name();
                    data.put(name, band.maps());
                    shapes.put(name, new int[] {band.channels(), band.height(), band.width()});
                }
                try {
                    Safetensors.write(saveMaps, data, shapes);
                } catch (IOException e) {
                    throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", saveMaps, e));
                }
            }
            Path target = output != null ? output : weights.toAbsolutePath().resolveSibling("features.png");
            try {
                Png.write(dev.cnnc.cli.viz.FeatureGrid.draw(bands), target);
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", target, e));
            }
            out.println(target);
            return 0;
        }

        /** The output of top-level node {@code cut}: the model up to it, compiled and run on x in inference. */
        private dev.cnnc.cli.viz.FeatureGrid.Layer activation(CheckedModel model, int cut, float[] x, Map<String, Map.Entry<int[], float[]>> tensors)
                throws Models.Stop, dev.cnnc.compiler.emit.java.InMemoryJavac.Failure {
            CheckedNode.Layer l = (CheckedNode.Layer) model.nodes().get(cut);
            CheckedModel prefix = new CheckedModel(model.name() + "Upto" + cut, model.file(), model.input(), model.nodes().subList(0, cut + 1), null,
                    0, 0, 0, 0);
            try (dev.cnnc.runtime.Network net = build.build(prefix, 1)) {
                Safetensors.load(net, weights, tensors);
                net.forward(x, 1, false);
                var s = l.output();
                return new dev.cnnc.cli.viz.FeatureGrid.Layer(l.name() + ": " + l.spec().describe() + ", " + s, java.util.Arrays.copyOf(net.output(),
                        (int) s.elements()), (int) s.channels(), (int) s.height(), (int) s.width());
            } catch (Safetensors.BadFile e) {
                throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
            }
        }
    }

    @Command(name = "filters", header = "A conv layer's filters as a grid image.", description = {
        "A conv layer's filters as a grid: a row per filter, a grey tile per input channel (a colour tile for a layer on 3 channels),",
        "each filter normalised on its own, scaled up so a 3x3 filter is visible."})
    static final class Filters extends ModelCommand {
        @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the trained weights")
        Path weights;

        @Option(names = "--layer", paramLabel = "NAME", description = "the conv layer, as cnnc check names it (default: the first conv)")
        String layer;

        @Option(names = {"-o", "--output"}, paramLabel = "OUT.png", description = "where to write the image (default: beside the weights, filters-LAYER.png)")
        Path output;

        @Override
        int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop {
            List<CheckedNode.Layer> convs = model.layers().stream().filter(l -> l.spec() instanceof Conv).toList();
            if (convs.isEmpty()) {
                throw new Models.Stop(Main.USAGE, model.name() + " has no conv layer to draw");
            }
            CheckedNode.Layer chosen = layer == null ? convs.get(0) : convs.stream().filter(l -> l.name().equals(layer)).findFirst()
                    .orElseThrow(() -> new Models.Stop(Main.USAGE, "--layer " + layer + ": " + model.name() + " has no conv layer of that name; its convs are "
                            + String.join(", ", convs.stream().map(CheckedNode.Layer::name).limit(12).toList()) + (convs.size() > 12 ? ", ..." : "")));
            Map<String, Map.Entry<int[], float[]>> tensors;
            try {
                tensors = Safetensors.read(weights);
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the weights", weights, e));
            } catch (Safetensors.BadFile e) {
                throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
            }
            Conv c = (Conv) chosen.spec();
            int channels = c.channelsPerGroup(chosen.input().channels());
            Map.Entry<int[], float[]> w = tensors.get(chosen.name() + ".weight");
            int[] want = {c.filters(), channels, c.kernelHeight(), c.kernelWidth()};
            if (w == null || !java.util.Arrays.equals(w.getKey(), want)) {
                throw new Models.Stop(Main.FILE_ERRORS, weights + ": " + (w == null ? "no tensor " + chosen.name() + ".weight"
                        : chosen.name() + ".weight is " + java.util.Arrays.toString(w.getKey())) + ", but " + model.name() + "'s " + chosen.name()
                        + " (" + c.describe() + ") has " + java.util.Arrays.toString(want) + ": are these the weights of this model?");
            }
            Path target = output != null ? output : weights.toAbsolutePath().resolveSibling("filters-" + chosen.name() + ".png");
            String title = model.name() + " " + chosen.name() + ": " + c.describe() + ", " + c.filters() + " filters x " + channels + (channels == 1 ? " channel" : " channels");
            try {
                Png.write(FilterGrid.draw(title, w.getValue(), c.filters(), channels, c.kernelHeight(), c.kernelWidth()), target);
            } catch (IOException e) {
                throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", target, e));
            }
            out.println(target);
            return 0;
        }
    }
}
