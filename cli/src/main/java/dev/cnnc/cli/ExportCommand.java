package dev.cnnc.cli;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.onnx.OnnxExport;
import dev.cnnc.runtime.io.AtomicFiles;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cnnc export}: a trained model as an ONNX file for inference anywhere ONNX runs. */
@Command(name = "export", header = "Write a trained model as an ONNX file.", description = {
    "The model and its weights as one ONNX file (opset 17 unless --opset says), in inference semantics: batchnorm with",
    "its running statistics, dropout the identity, a final softmax kept. Input 'input' [batch, C, H, W] (or [batch, N]),",
    "normalised as the train section says; output 'output'. The batch dimension is free; tensors keep cnnc's names."})
final class ExportCommand extends ModelCommand {
    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the trained weights")
    Path weights;

    @Option(names = {"-o", "--output"}, paramLabel = "MODEL.onnx", description = "where to write it (default: beside the weights, MODEL.onnx)")
    Path output;

    @Option(names = "--opset", converter = FlagValues.Count.class, paramLabel = "N", description = "the ONNX opset, 13 to 17 (default: 17)")
    int opset = OnnxExport.DEFAULT_OPSET;

    @Option(names = "--raw-input", description = "the file takes raw pixel values (0..255) and normalises them first, as training did"
            + " (by the statistics the weights carry, from normalize auto, else the train section's)")
    boolean rawInput;

    @Override
    void validate() throws Models.Stop {
        if (opset < OnnxExport.MIN_OPSET || opset > OnnxExport.MAX_OPSET) {
            throw new Models.Stop(Main.USAGE, "--opset " + opset + ": cnnc writes opsets " + OnnxExport.MIN_OPSET + " to " + OnnxExport.MAX_OPSET);
        }
    }

    @Override
    int run(CheckedModel model, PrintWriter out, PrintWriter err) throws Models.Stop {
        Path target = output != null ? output : weights.toAbsolutePath().resolveSibling(model.name() + ".onnx");
        try {
            AtomicFiles.checkWritableFile(target);
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", target, e));
        }
        Map<String, Map.Entry<int[], float[]>> tensors;
        try {
            tensors = Safetensors.read(weights);
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the weights", weights, e));
        } catch (Safetensors.BadFile e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
        byte[] bytes;
        try {
            bytes = OnnxExport.export(model, tensors, opset, rawInput ? normalization(model, tensors) : null).toByteArray();
        } catch (OnnxExport.BadWeights e) {
            throw new Models.Stop(Main.FILE_ERRORS, weights + ": " + e.getMessage());
        }
        try {
            AtomicFiles.write(target, bytes);
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("write", target, e));
        }
        out.printf("%s (opset %d, %,d bytes; input 'input' %s%s, output 'output' %s)%n", target, opset, bytes.length, shape(model.input()),
                rawInput ? " of raw pixel values" : " normalised",
                shape(model.output()));
        return Main.OK;
    }

    private static OnnxExport.Normalization normalization(CheckedModel model, Map<String, Map.Entry<int[], float[]>> tensors) {
        dev.cnnc.runtime.data.IdxDataDir.Spec spec = Models.dataSpec(model);
        float[] mean = tensors.containsKey("normalize.mean") ? tensors.get("normalize.mean").getValue() : spec.mean();
        float[] std = tensors.containsKey("normalize.std") ? tensors.get("normalize.std").getValue() : spec.std();
        return new OnnxExport.Normalization(spec.scale(), mean, std);
    }

    private static String shape(dev.cnnc.compiler.model.Shape s) {
        return s.flat() ? "[batch, " + s.channels() + "]" : "[batch, " + s.channels() + ", " + s.height() + ", " + s.width() + "]";
    }
}
