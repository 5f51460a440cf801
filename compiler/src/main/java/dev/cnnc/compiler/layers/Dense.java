package dev.cnnc.compiler.layers;

import dev.cnnc.compiler.diag.DiagnosticKind;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.syntax.ArgType;
import dev.cnnc.compiler.syntax.Signature;

/** {@code dense N [nobias]} (alias {@code fc}): fully connected, as torch.nn.Linear. */
public record Dense(int units, boolean bias) implements LayerSpec {
    public static final LayerKind KIND = LayerKind.of("fully connected layer",
            Signature.of("dense").positional("units", "N", ArgType.COUNT).flag("nobias").build(),
            a -> a.ok() ? new Dense(a.count("units", 1), !a.flag("nobias")) : null,
            "fc");

    @Override
    public String kind() {
        return "dense";
    }

    @Override
    public String describe() {
        return "dense " + units + (bias ? "" : " nobias");
    }

    @Override
    public Shape outputShape(Shape in, ShapeRules rules) {
        if (!in.flat()) {
            return rules.fail("add 'flatten' before it", DiagnosticKind.NEEDS_FLAT_INPUT, "dense", in);
        }
        return Shape.flat(units);
    }

    @Override
    public long trainableParams(Shape in) {
        return Math.multiplyExact(in.channels() + (bias ? 1 : 0), (long) units);
    }

    @Override
    public long flops(Shape in, Shape out) {
        return Math.addExact(Math.multiplyExact(2L * units, in.channels()), bias ? units : 0);
    }

    @Override
    public long macs(Shape in, Shape out) {
        return Math.multiplyExact((long) units, in.channels());
    }
}
