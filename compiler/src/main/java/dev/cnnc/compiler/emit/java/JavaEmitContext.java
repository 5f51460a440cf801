package dev.cnnc.compiler.emit.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.Tensor;
import dev.cnnc.compiler.model.Numbers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What op emitters share: buffer declarations (each allocated once, for maxBatch examples),
 * the names of activation and gradient buffers, and gradient slots for tensors read by two ops.
 */
final class JavaEmitContext {
    static final ClassName OPS = ClassName.get("dev.cnnc.runtime.kernels", "Ops");
    static final ClassName GEMM = ClassName.get("dev.cnnc.runtime.kernels", "Gemm");
    static final ClassName WINOGRAD = ClassName.get("dev.cnnc.runtime.kernels", "Winograd");
    static final ClassName WINDOW_POOL = ClassName.get("dev.cnnc.runtime.kernels", "WindowPool");
    static final ClassName WINDOW_ORDER = ClassName.get("dev.cnnc.runtime.kernels", "WindowOrder");
    static final ClassName DIRECT_WINDOW_CONV = ClassName.get("dev.cnnc.runtime.kernels", "DirectWindowConv");

    /** name -> Java type and size expression ("float[]", "maxBatch * 784"). */
    final Map<String, String[]> buffers = new LinkedHashMap<>();
    /** The Winograd convs' shapes, for the memory estimate ({@link JavaMemory.WinogradConv}). */
    final List<JavaMemory.WinogradConv> winogradConvs = new java.util.ArrayList<>();
    /** Pairs {written, read} of buffers an op writes in place of ones it reads ({@link #inPlace}). */
    final java.util.Set<List<String>> inPlace = new java.util.HashSet<>();
    /** name -> a runtime kernel object built once for the op's shapes, with its own buffers (a conv's {@code Winograd}). */
    final Map<String, Kernel> kernels = new LinkedHashMap<>();
    final KernelPlan plan;
    /** The cache budget of a convolution's group of examples ({@link JavaEmitter#GROUP_BYTES} unless a test asks). */
    final int groupBytes;
    /** Whether convolutions that suit it run as Winograd's F(2x2, 3x3). */
    final boolean winograd;

    JavaEmitContext(KernelPlan plan, int groupBytes, boolean winograd) {
        this.plan = plan;
        this.groupBytes = groupBytes;
        this.winograd = winograd;
    }

    /** A field of a runtime kernel type, initialised in the constructor (after par and gemm) by {@code init}. */
    record Kernel(ClassName type, CodeBlock init) {
    }

    void kernel(String name, ClassName type, CodeBlock init) {
        kernels.putIfAbsent(name, new Kernel(type, init));
    }

    void floats(String name, String size) {
        buffers.putIfAbsent(name, new String[] {"float[]", size});
    }

    void doubles(String name, String size) {
        buffers.putIfAbsent(name, new String[] {"double[]", size});
    }

    void ints(String name, String size) {
        buffers.putIfAbsent(name, new String[] {"int[]", size});
    }

    /**
     * Notes that the op writes {@code written} in place of {@code read}: each value from the one read
     * at its place, so the two may be one array when {@code read} is not needed after the op
     * ({@link BufferLayouts}).
     */
    void inPlace(String written, String read) {
        inPlace.add(List.of(written, read));
    }

    /** The activation buffer of a tensor. */
    String value(Tensor t) {
        return "t" + t.id();
    }

    /** The mask buffer of the dropout layer numbered {@code index}: its forward writes it, its backward and the caller read it. */
    static String dropoutMask(int index) {
        return "mask" + index;
    }

    /** The gradient buffer of a tensor as seen by its producer (all readers' slots summed into it). */
    String grad(Tensor t) {
        return "d" + t.id();
    }

    /** The gradient slot that reader {@code op} (at input position k) writes. */
    String gradSlot(Op op, Tensor t) {
        int position = op.inputs().indexOf(t);
        if (position < 0) {
            throw new IllegalStateException("op does not read tensor " + t.id());
        }
        return gradSlotAt(op, position);
    }

    /**
     * The gradient slot of the op's input at {@code position}: unlike {@link #gradSlot}, right
     * also when one tensor is read at two positions (a join with two empty paths).
     */
    String gradSlotAt(Op op, int position) {
        Tensor t = op.inputs().get(position);
        List<int[]> readers = plan.consumers(t);
        int index = plan.ops().indexOf(op);
        for (int r = 0; r < readers.size(); r++) {
            if (readers.get(r)[0] == index && readers.get(r)[1] == position) {
                return r == 0 ? grad(t) : grad(t) + "_" + r;
            }
        }
        throw new IllegalStateException("op does not read tensor " + t.id() + " at " + position);
    }

    /** Whether the gradient of an op's input must be computed at all (not for the network input unless asked). */
    boolean isNetworkInput(Tensor t) {
        return t.id() == plan.input().id();
    }

    static String size(Tensor t) {
        return "maxBatch * " + t.perExample();
    }

    static String f(double v) {
        String s = Numbers.plain((float) v);
        return s + "f";
    }
}
