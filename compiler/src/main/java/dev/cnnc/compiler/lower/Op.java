package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.diag.Span;
import dev.cnnc.compiler.layers.Activation;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.layers.Dropout;
import dev.cnnc.compiler.layers.Pool;
import dev.cnnc.compiler.model.Shape;
import java.util.List;

/** One step of a kernel plan: what the backends emit a forward and a backward for. */
public sealed interface Op {
    List<Tensor> inputs();

    Tensor output();

    /** The .cnn lines it came from, for the comment above its generated code. */
    List<Span> spans();

    /** Forward floating-point operations per example (the checked layers it covers). */
    long flops();

    /** The layer whose parameters the op reads (a record's {@code name} component), or null for ops without any. */
    default String name() {
        return null;
    }

    /** What the op computes, for comments and profiles: "conv1: conv 32 3x3 + relu". */
    String describe();

    /**
     * Bytes a forward must move at least for {@code n} examples: its inputs and output once each
     * (float32), and its parameters once; what an op at memory speed is measured against.
     */
    default long forwardBytes(int n, ParamLayout params) {
        long values = output().perExample();
        for (Tensor t : inputs()) {
            values += t.perExample();
        }
        long weights = name() == null ? 0 : params.of(name()).values().stream().mapToLong(ParamLayout.Entry::size).sum();
        return 4 * (values * n + weights);
    }

    private static String plus(Object part) {
        return part == null ? "" : " + " + (part instanceof Activation a ? a.describe() : ((Pool) part).describe());
    }

    /** What follows a conv or dense in the same pass over its output: at most an activation, a pool, an activation. */
    record Epilogue(Activation before, Pool pool, Shape pooled, Activation after) {
        public static final Epilogue NONE = new Epilogue(null, null, null, null);

        public boolean isEmpty() {
            return before == null && pool == null && after == null;
        }
    }

    /** conv + bias + epilogue; {@code convShape} is the convolution's own output (before any pool). */
    record ConvOp(Conv conv, String name, Tensor input, Shape convShape, Epilogue epilogue, Tensor output, List<Span> spans, long flops)
            implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return name + ": " + conv.describe() + plus(epilogue.before()) + plus(epilogue.pool()) + plus(epilogue.after());
        }
    }

    record DenseOp(Dense dense, String name, Tensor input, Activation activation, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return name + ": " + dense.describe() + plus(activation);
        }
    }

    /**
     * A grouped or dilated conv (depthwise when each group is one channel) + bias + an activation
     * whose derivative follows from its output: computed directly, not as im2col and a product.
     */
    record GroupedConvOp(Conv conv, String name, Tensor input, Activation activation, Tensor output, List<Span> spans, long flops)
            implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return name + ": " + conv.describe() + plus(activation);
        }
    }

    /** Window pooling; global pools are pools whose window is the whole input. */
    /**
     * Window pooling; ph/pw pad above and left, pb/pr below and right. The output's size may hold
     * one more window per axis than the floor formula (ceil mode): such a window is clipped, and
     * an average divides by the part of it inside the input and its padding, as PyTorch.
     */
    record PoolOp(Pool.Op kind, int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr, Tensor input, Tensor output,
                  List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        /** Whether the pool pads both sides of an axis alike and its windows follow the floor formula. */
        public boolean plain() {
            Shape in = input.shape(), out = output.shape();
            return ph == pb && pw == pr && (in.height() + 2L * ph - kh) / sh + 1 == out.height()
                    && (in.width() + 2L * pw - kw) / sw + 1 == out.width();
        }

        /** Whether an average's divisor is kh*kw for every window (no window hangs past the padding). */
        public boolean wholeWindows() {
            Shape in = input.shape(), out = output.shape();
            return (out.height() - 1) * sh - ph + kh <= in.height() + pb && (out.width() - 1) * sw - pw + kw <= in.width() + pr;
        }

        public String describe() {
            return kind.name().toLowerCase(java.util.Locale.ROOT) + " pool " + kh + "x" + kw;
        }
    }

    record ActivationOp(Activation activation, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return activation.describe();
        }
    }

    /** A batchnorm, and a relu or relu6 fused after it ({@code activation}, or null). */
    record BatchNormOp(BatchNorm norm, String name, Tensor input, Activation activation, Tensor output, List<Span> spans, long flops)
            implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return name + ": " + norm.describe() + plus(activation);
        }

    }

    /** {@code index} numbers the dropout layers from 0 (Network.dropoutMask). */
    record DropoutOp(Dropout dropout, int index, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        /** Random draws per example: one a value, or one in all for stochastic depth. */
        public long draws() {
            return dropout.perExample() ? 1 : input.perExample();
        }

        public String describe() {
            return dropout.describe();
        }
    }

    record FlattenOp(Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return "flatten";
        }
    }

    /** {@code last}: the model's final layer, left out of training forward (folded into the loss). */
    record SoftmaxOp(boolean last, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return last ? "softmax (folded into the loss when training)" : "softmax";
        }
    }

    /** {@code upsample F [bilinear]} over each channel plane. */
    record UpsampleOp(dev.cnnc.compiler.layers.Upsample upsample, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return upsample.describe();
        }
    }

    /** Zero padding per side before a conv that pads unevenly (torch has no such conv: F.pad, then the conv). */
    record PadOp(int top, int bottom, int left, int right, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return "zero pad " + top + " " + bottom + " " + left + " " + right;
        }
    }

    /** A concat join: the inputs' channels (or features) side by side, in order. */
    record ConcatOp(List<Tensor> parts, Tensor output, List<Span> spans, long flops) implements Op {
        public ConcatOp {
            parts = List.copyOf(parts);
        }

        public List<Tensor> inputs() {
            return parts;
        }

        public String describe() {
            return "concat of " + parts.size();
        }
    }

    /**
     * A multiply join of two paths: output = a * b, where b either has a's shape or is a 1x1xC
     * gate broadcast over a's HxW (squeeze-and-excitation).
     */
    record MulOp(Tensor a, Tensor b, Tensor output, List<Span> spans, long flops) implements Op {
        public boolean broadcast() {
            return !a.shape().equals(b.shape());
        }

        public List<Tensor> inputs() {
            return List.of(a, b);
        }

        public String describe() {
            return broadcast() ? "multiply by a gate" : "multiply";
        }
    }

    /** A transposed conv + bias. */
    record TransposedConvOp(dev.cnnc.compiler.layers.ConvTranspose conv, String name, Tensor input, Tensor output, List<Span> spans, long flops)
            implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return name + ": " + conv.describe();
        }
    }

    /** A PReLU: learned slopes, one or one a channel. */
    record PReluOp(dev.cnnc.compiler.layers.PRelu prelu, String name, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return name + ": " + prelu.describe();
        }
    }

    /** Output channel o is input channel {@code sources[o]} (a channel shuffle or split). */
    record ChannelMapOp(dev.cnnc.compiler.layers.ChannelMap map, int[] sources, Tensor input, Tensor output, List<Span> spans, long flops)
            implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }

        public String describe() {
            return map.describe();
        }
    }

    /**
     * The join of a residual: output = a + b, or f(a + b) with the activation that followed it
     * fused in (null: none; one whose derivative follows from its output).
     */
    record AddOp(Tensor a, Tensor b, Activation activation, Tensor output, List<Span> spans, long flops) implements Op {
        public AddOp(Tensor a, Tensor b, Tensor output, List<Span> spans, long flops) {
            this(a, b, null, output, spans, flops);
        }

        public List<Tensor> inputs() {
            return List.of(a, b);
        }

        public String describe() {
            return activation == null ? "residual add" : "residual add + " + activation.describe();
        }
    }
}
