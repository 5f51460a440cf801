package dev.cnnc.compiler.lower;

/** One lowering step: a plan in, a plan that computes the same thing out. */
public interface Pass {
    String name();

    KernelPlan apply(KernelPlan plan);
}
