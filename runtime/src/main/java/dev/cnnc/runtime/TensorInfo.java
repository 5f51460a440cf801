package dev.cnnc.runtime;

import java.util.Arrays;

/**
 * One named tensor of a network: where it lives ({@code trainable} tensors in
 * {@link Network#parameters()}, others in {@link Network#state()}), its PyTorch shape, and
 * what it is, which decides its default initialisation.
 */
public record TensorInfo(String name, int[] shape, boolean trainable, int offset, Role role, int fanIn) {
    /** SLOPE: a PReLU's learned negative slope (torch starts it at 0.25). */
    public enum Role { WEIGHT, BIAS, NORM_WEIGHT, NORM_BIAS, RUNNING_MEAN, RUNNING_VAR, SLOPE }

    public TensorInfo {
        shape = shape.clone();
    }

    public int size() {
        int s = 1;
        for (int d : shape) {
            s *= d;
        }
        return s;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
