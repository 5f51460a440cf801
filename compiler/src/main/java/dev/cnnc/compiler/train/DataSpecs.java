package dev.cnnc.compiler.train;

import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.runtime.data.IdxDataDir;
import java.util.List;

/** What data must look like for a model, and how its train section normalises it; the CLI and cnnc-spark read data by it. */
public final class DataSpecs {
    private DataSpecs() {
    }

    /** The model's data spec; a flat input of N features is read as 1x1xN. */
    public static IdxDataDir.Spec of(CheckedModel model) {
        TrainConfig.Normalization norm = model.train() == null ? null : model.train().normalize();
        float scale = norm == null || norm.scale() == null ? 1f : norm.scale().floatValue();
        float[] mean = norm == null ? new float[0] : toFloats(norm.mean());
        float[] std = norm == null ? new float[0] : toFloats(norm.std());
        int[] in = model.input().flat() ? new int[] {1, 1, (int) model.input().channels()}
                : new int[] {(int) model.input().channels(), (int) model.input().height(), (int) model.input().width()};
        if (segmentation(model)) {
            Shape out = model.output();
            return new IdxDataDir.Spec(in[0], in[1], in[2], (int) out.channels(), scale, mean, std, (int) out.height(), (int) out.width());
        }
        return new IdxDataDir.Spec(in[0], in[1], in[2], (int) model.output().elements(), scale, mean, std);
    }

    /** Whether the model classifies each pixel: an HxWxK output trained with a classification loss (cross_entropy, nll). */
    public static boolean segmentation(CheckedModel model) {
        return !model.output().flat() && model.train() != null && model.train().loss() != null && model.train().loss().classification();
    }

    public static float[] toFloats(List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }
}
