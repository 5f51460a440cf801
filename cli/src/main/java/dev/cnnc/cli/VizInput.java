package dev.cnnc.cli;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.runtime.data.Idx;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.data.Images;
import dev.cnnc.runtime.io.IoMessages;
import dev.cnnc.runtime.io.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a viz command that runs the network reads: the weights, and the image resized to the
 * model's input ({@code pixels}, 0..255) and normalised as training normalised its data (by the
 * statistics the weights file carries when it has them, else the train section's).
 */
record VizInput(Map<String, Map.Entry<int[], float[]>> tensors, IdxDataDir.Spec spec, float[] pixels, float[] normalised) {

    static VizInput read(CheckedModel model, Path image, Path weights) throws Models.Stop {
        IdxDataDir.Spec spec = Models.dataSpec(model);
        float[] pixels;
        Map<String, Map.Entry<int[], float[]>> tensors;
        try {
            pixels = Images.read(image, spec.channels(), spec.height(), spec.width());
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read", image, e));
        } catch (Idx.BadFile e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
        try {
            tensors = Safetensors.read(weights);
        } catch (IOException e) {
            throw new Models.Stop(Main.FILE_ERRORS, IoMessages.cannot("read the weights", weights, e));
        } catch (Safetensors.BadFile e) {
            throw new Models.Stop(Main.FILE_ERRORS, e.getMessage());
        }
        float[] mean = tensors.containsKey("normalize.mean") ? tensors.get("normalize.mean").getValue() : spec.mean();
        float[] std = tensors.containsKey("normalize.std") ? tensors.get("normalize.std").getValue() : spec.std();
        spec = new IdxDataDir.Spec(spec.channels(), spec.height(), spec.width(), spec.classes(), spec.scale(), mean, std);
        int plane = spec.height() * spec.width();
        float[] x = new float[pixels.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = spec.normalise(pixels[i], i / plane);
        }
        return new VizInput(tensors, spec, pixels, x);
    }
}
