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
@Command(name = "viz", header = "Pictures of a trained network: its filters.", description = "Draw what a trained network holds as PNG images.",
        subcommands = {VizCommand.Filters.class})
final class VizCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    HelpOption help;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("cnnc: error: viz needs a picture to draw: filters\n  see: cnnc viz --help");
        return Main.USAGE;
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
