package dev.cnnc.runtime.train;

import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.TensorInfo;
import java.util.SplittableRandom;

/**
 * PyTorch's default initialisation: conv and dense weights Kaiming-uniform with a = sqrt(5),
 * i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); biases U(-1/sqrt(fan_in), 1/sqrt(fan_in));
 * batchnorm weight 1, bias 0, running mean 0, running variance 1; PReLU slopes 0.25. Seeded: the same seed gives
 * the same weights (the distribution is PyTorch's; the random stream is ours).
 */
public final class Initializer {
    private Initializer() {
    }

    public static void pytorchDefault(Network net, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (TensorInfo t : net.tensors()) {
            float[] dst = t.trainable() ? net.parameters() : net.state();
            double bound = 1.0 / Math.sqrt(Math.max(1, t.fanIn()));
            for (int i = 0; i < t.size(); i++) {
                dst[t.offset() + i] = switch (t.role()) {
                    case WEIGHT, BIAS -> (float) ((random.nextDouble() * 2 - 1) * bound);
                    case NORM_WEIGHT, RUNNING_VAR -> 1f;
                    case NORM_BIAS, RUNNING_MEAN -> 0f;
                    case SLOPE -> 0.25f;
                };
            }
        }
    }
}
