package dev.cnnc.compiler.emit.opencl;

import dev.cnnc.compiler.lower.Op;

/** Writes one kind of op's kernels into the program and its launches into the plan (forward, then backward). */
interface ClOpEmitter<T extends Op> {
    void emit(int k, T op, ClEmitContext ctx);
}
