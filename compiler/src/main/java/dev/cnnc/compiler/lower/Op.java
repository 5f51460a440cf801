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
    }

    record DenseOp(Dense dense, String name, Tensor input, Activation activation, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    /** Window pooling; global pools are pools whose window is the whole input. */
    record PoolOp(Pool.Op kind, int kh, int kw, int sh, int sw, int ph, int pw, Tensor input, Tensor output, List<Span> spans, long flops)
            implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    record ActivationOp(Activation activation, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    record BatchNormOp(BatchNorm norm, String name, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    /** {@code index} numbers the dropout layers from 0 (Network.dropoutMask). */
    record DropoutOp(Dropout dropout, int index, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    record FlattenOp(Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    /** {@code last}: the model's final layer, left out of training forward (folded into the loss). */
    record SoftmaxOp(boolean last, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
        }
    }

    /** {@code upsample F [bilinear]} over each channel plane. */
    record UpsampleOp(dev.cnnc.compiler.layers.Upsample upsample, Tensor input, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(input);
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
    }

    /** The join of a residual: output = a + b. */
    record AddOp(Tensor a, Tensor b, Tensor output, List<Span> spans, long flops) implements Op {
        public List<Tensor> inputs() {
            return List.of(a, b);
        }
    }
}
