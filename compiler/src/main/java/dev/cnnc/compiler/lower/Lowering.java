package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.model.CheckedModel;
import java.util.ArrayList;
import java.util.List;

/** CheckedModel to KernelPlan: {@link Linearize}, then the optimisation passes, which are a list (data). */
public final class Lowering {
    /** The optimisation passes in order; each may be left out and the code stays correct. */
    public static final List<Pass> OPTIMISATIONS = List.of(new FuseEpilogues());

    private Lowering() {
    }

    public static KernelPlan lower(CheckedModel model, boolean fuse) {
        List<Pass> passes = new ArrayList<>();
        if (fuse) {
            passes.addAll(OPTIMISATIONS);
        }
        return lower(model, passes);
    }

    public static KernelPlan lower(CheckedModel model, List<Pass> passes) {
        KernelPlan plan = Linearize.plan(model);
        for (Pass p : passes) {
            plan = p.apply(plan);
        }
        return plan;
    }
}
