package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.KernelPlan;
import dev.cnnc.compiler.lower.Op;
import dev.cnnc.compiler.lower.ParamLayout;
import dev.cnnc.compiler.lower.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * KernelPlan to an OpenCL C program. Tensors live on the device in PyTorch's layout (NCHW, an
 * example after another), so input and output cross the bus as they are. Each op gets a
 * forward kernel (conv and dense fused with bias, activation and pooling, as in the Java
 * backend) and gather-style backward kernels: every work item writes one value and sums what
 * flows into it, so no atomics are needed and results do not depend on scheduling.
 *
 * <p>Shapes are literals in the source; only the batch size {@code n} is an argument.
 * Kernels check {@code gid} against their size, so the host may round global sizes up to a
 * work-group multiple chosen from the device's limits.
 */
public final class ClEmitter {
    /** One emitter per op kind: a new layer kind adds a file and a line here. */
    private static final Map<Class<? extends Op>, ClOpEmitter<?>> EMITTERS = Map.ofEntries(
            Map.entry(Op.ConvOp.class, new ConvKernels()),
            Map.entry(Op.GroupedConvOp.class, new GroupedConvKernels()),
            Map.entry(Op.TransposedConvOp.class, new TransposedConvKernels()),
            Map.entry(Op.ChannelMapOp.class, new ChannelMapKernels()),
            Map.entry(Op.PReluOp.class, new PReluKernels()),
            Map.entry(Op.DenseOp.class, new DenseKernels()),
            Map.entry(Op.PoolOp.class, new PoolKernels()),
            Map.entry(Op.ActivationOp.class, new ActivationKernels()),
            Map.entry(Op.BatchNormOp.class, new BatchNormKernels()),
            Map.entry(Op.DropoutOp.class, new DropoutKernels()),
            Map.entry(Op.FlattenOp.class, new FlattenKernels()),
            Map.entry(Op.SoftmaxOp.class, new SoftmaxKernels()),
            Map.entry(Op.AddOp.class, new AddKernels()),
            Map.entry(Op.ConcatOp.class, new ConcatKernels()),
            Map.entry(Op.UpsampleOp.class, new UpsampleKernels()),
            Map.entry(Op.PadOp.class, new PadKernels()),
            Map.entry(Op.MulOp.class, new MulKernels()));

    /**
     * floatv: the device's preferred float vector, VW wide. The host builds the program with
     * -DVW=<CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT> (8 on an AVX2 CPU, often 1 on a GPU, where the
     * threads of a warp are the vector); without it the source builds as scalar code.
     */
    static final String VECTOR_TYPES = """
            #ifndef VW
            #define VW 1
            #endif
            #if VW == 16
            typedef float16 floatv;
            #define vloadv vload16
            #define vstorev vstore16
            #define vsum(v) (vsum8((v).lo + (v).hi))
            #endif
            #if VW >= 8
            #define vsum8(v) (vsum4((v).lo + (v).hi))
            #endif
            #if VW == 8
            typedef float8 floatv;
            #define vloadv vload8
            #define vstorev vstore8
            #define vsum(v) vsum8(v)
            #endif
            #if VW >= 4
            #define vsum4(v) ((v).s0 + (v).s1 + (v).s2 + (v).s3)
            #endif
            #if VW == 4
            typedef float4 floatv;
            #define vloadv vload4
            #define vstorev vstore4
            #define vsum(v) vsum4(v)
            #endif
            #if VW == 2
            typedef float2 floatv;
            #define vloadv vload2
            #define vstorev vstore2
            #define vsum(v) ((v).s0 + (v).s1)
            #endif
            #if VW != 2 && VW != 4 && VW != 8 && VW != 16
            #undef VW
            #define VW 1
            typedef float floatv;
            #define vloadv(o, p) ((p)[o])
            #define vstorev(v, o, p) ((p)[o] = (v))
            #define vsum(v) (v)
            #endif

            """;

    private final ClEmitContext ctx;

    private ClEmitter(KernelPlan plan) {
        this.ctx = new ClEmitContext(plan);
    }

    public static ClPlan emit(KernelPlan plan) {
        ClEmitter e = new ClEmitter(plan);
        e.run();
        return e.ctx.out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void emitOp(int k, Op op) {
        ClOpEmitter emitter = EMITTERS.get(op.getClass());
        if (emitter == null) {
            throw new IllegalStateException("no OpenCL kernels for " + op);
        }
        emitter.emit(k, op, ctx);
    }

    /**
     * The type sums accumulate in: double where the device has it, float elsewhere (or when the
     * program is built with -DCNNC_FLOAT_SUMS, which the tests use to hold a float device to the
     * same bound on a CPU that has doubles).
     */
    static final String ACC_T = "#if defined(cl_khr_fp64) && !defined(CNNC_FLOAT_SUMS)\n#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
            + "typedef double acc_t;\n#else\ntypedef float acc_t;\n#endif\n\n";

    private void run() {
        ctx.src.append("// Generated by cnnc from ").append(dev.cnnc.compiler.emit.SourceText.comment(ctx.plan.model().file())).append(": model ").append(ctx.plan.model().name())
                .append(".\n// Tensors are NCHW (examples one after another); n is the batch size.\n")
                .append(ACC_T)
                .append(VECTOR_TYPES)
                .append("// The sum, in order, of one channel's partial sums (see BatchNormKernels).\n"
                        + "acc_t sumParts(__global const acc_t* p) {\n    acc_t s = 0;\n    for (int r = 0; r < " + BatchNormKernels.PARTS
                        + "; r++) s += p[r];\n    return s;\n}\n\n")
                // Like every kernel, these end with n (the host passes it to all); their size comes as count.
                .append("__kernel void add_into(__global float* d, __global const float* s, const int count, const int n) {\n"
                        + "    const int i = get_global_id(0);\n    if (i < count) d[i] += s[i];\n}\n\n")
                .append("__kernel void copy(__global float* d, __global const float* s, const int count, const int n) {\n"
                        + "    const int i = get_global_id(0);\n    if (i < count) d[i] = s[i];\n}\n\n");
        ParamLayout params = ctx.plan.params();
        ctx.out.buffer("P", 0, Math.max(1, params.parameterCount()), false);
        ctx.out.buffer("G", 0, Math.max(1, params.parameterCount()), false);
        ctx.out.buffer("S", 0, Math.max(1, params.stateCount()), false);
        for (Tensor t : ctx.plan.tensors()) {
            ctx.out.buffer(ClEmitContext.value(t), t.perExample(), 0, false);
            ctx.out.buffer(ClEmitContext.grad(t), t.perExample(), 0, false);
            for (int r = 1; r < ctx.plan.consumers(t).size(); r++) {
                ctx.out.buffer(ClEmitContext.grad(t) + "_" + r, t.perExample(), 0, false);
            }
        }
        for (int k = 0; k < ctx.plan.ops().size(); k++) {
            Op op = ctx.plan.ops().get(k);
            ctx.src.append("// op ").append(k).append(": ").append(op.getClass().getSimpleName()).append('\n');
            List<ClPlan.Launch> before = new ArrayList<>(ctx.out.backward);
            ctx.out.backward.clear();
            ctx.sumSlots(k, op.output());
            emitOp(k, op);
            // Backward runs ops last to first; within an op, its launches in the order written.
            List<ClPlan.Launch> mine = new ArrayList<>(ctx.out.backward);
            ctx.out.backward.clear();
            ctx.out.backward.addAll(mine);
            ctx.out.backward.addAll(before);
        }
        // The network input is no op's output: add up its readers' gradient slots last.
        Tensor input = ctx.plan.input();
        for (int r = 1; r < ctx.plan.consumers(input).size(); r++) {
            ctx.back(0, "add_into", input.perExample(), 0, "inputGradient", ClEmitContext.grad(input), ClEmitContext.grad(input) + "_" + r, "count");
        }
    }
}
