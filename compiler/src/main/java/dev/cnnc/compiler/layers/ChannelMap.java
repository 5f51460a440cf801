package dev.cnnc.compiler.layers;

/**
 * A layer whose output channels are input channels, chosen or reordered: output channel o is
 * input channel {@code sources(C)[o]}. Lowered to one gather op whatever the layer.
 */
public interface ChannelMap extends LayerSpec {
    int[] sources(int channels);
}
