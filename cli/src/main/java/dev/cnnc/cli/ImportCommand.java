package dev.cnnc.cli;

import dev.cnnc.onnx.OnnxImport;
import dev.cnnc.runtime.io.AtomicFiles;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cnnc import}: an ONNX model (from torch.onnx.export, say) as a .cnn file and its weights. */
@Command(name = "import", header = "Turn an ONNX model into a .cnn file and its weights.", description = {
    "Reads an ONNX model as torch.onnx.export writes one (opsets 11 to 17, eval mode) and writes the .cnn model and its weights",
    "under cnnc's names, ready for cnnc check, predict, train --init and export. Every node cnnc cannot express is listed at once."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL.onnx", description = "the ONNX file")
    Path file;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "MODEL.cnn", description = "the .cnn file to write")
    Path output;

    @Option(names = "--weights-out", paramLabel = "W.safetensors", description = "where the weights go (default: beside the .cnn file, MODEL.safetensors)")
    Path weightsOut;

    @Option(names = "--name", paramLabel = "NAME", description = "the model's name (default: from the file name)")
    String name;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption help;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        String model = name != null ? name : modelName(file);
        if (!model.matches("[A-Za-z][A-Za-z0-9_]*")) {
            err.println("cnnc: error: --name " + model + ": a model name is a letter, then letters, digits or _");
            return Main.USAGE;
        }
        Path weights = weightsOut != null ? weightsOut : output.toAbsolutePath().resolveSibling(stem(output) + ".safetensors");
        OnnxImport.Result r;
        try {
            AtomicFiles.checkWritableFile(output);
            AtomicFiles.checkWritableFile(weights);
        } catch (IOException e) {
            err.println("cnnc: error: " + IoMessages.cannot("write", output, e));
            return Main.FILE_ERRORS;
        }
        try {
            r = OnnxImport.read(Files.readAllBytes(file), model, file.getFileName().toString());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            err.println("cnnc: error: " + file + ": not an ONNX model (" + e.getMessage() + ")");
            return Main.FILE_ERRORS;
        } catch (IOException e) {
            err.println("cnnc: error: " + IoMessages.cannot("read", file, e));
            return Main.FILE_ERRORS;
        } catch (OnnxImport.Unsupported e) {
            err.println("cnnc: error: " + file + ": " + e.getMessage());
            return Main.FILE_ERRORS;
        }
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        r.tensors().forEach((k, v) -> {
            data.put(k, v.getValue());
            shapes.put(k, v.getKey());
        });
        try {
            AtomicFiles.write(output, r.cnn());
            Safetensors.write(weights, data, shapes);
        } catch (IOException e) {
            err.println("cnnc: error: " + IoMessages.cannot("write", output, e));
            return Main.FILE_ERRORS;
        }
        out.printf("%s: %s, %d layers, %,d parameters%n%s: %d tensors%n", output, model, r.model().layers().size(),
                r.model().trainableParams() + r.model().nonTrainableParams(), weights, data.size());
        return Main.OK;
    }

    /** resnet18.onnx -> Resnet18; my-model.onnx -> MyModel. */
    static String modelName(Path file) {
        StringBuilder b = new StringBuilder();
        for (String part : stem(file).split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) {
                b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        String s = b.toString();
        return s.isEmpty() || !Character.isLetter(s.charAt(0)) ? "Imported" + s : s;
    }

    private static String stem(Path p) {
        String f = p.getFileName().toString();
        int dot = f.lastIndexOf('.');
        return dot > 0 ? f.substring(0, dot) : f;
    }
}
