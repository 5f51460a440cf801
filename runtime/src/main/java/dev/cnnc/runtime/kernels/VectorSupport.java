package dev.cnnc.runtime.kernels;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the JVM was started with the Vector API ({@code --add-modules jdk.incubator.vector}).
 * Code generated with {@code --simd vector} still runs without it, on the plain-Java kernels,
 * so that a consumer who forgot the flag gets a warning saying how to fix it instead of a
 * NoClassDefFoundError from deep inside a training step.
 */
public final class VectorSupport {
    public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private VectorSupport() {
    }

    static void warnOnce() {
        if (WARNED.compareAndSet(false, true)) {
            System.err.println("cnnc: warning: the JVM was started without --add-modules jdk.incubator.vector;"
                    + " running the plain-Java kernels (about 3x slower). Add the flag to the java command"
                    + " (Maven: surefire's argLine, exec's jvmArgs) to use the Vector API kernels.");
        }
    }
}
