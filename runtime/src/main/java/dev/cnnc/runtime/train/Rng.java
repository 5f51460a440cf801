package dev.cnnc.runtime.train;

/**
 * SplitMix64: a small, fast generator whose whole state is one long, so a checkpoint can save
 * it and a resumed run continues the same stream (java.util's generators hide their state).
 */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public long state() {
        return state;
    }

    public void setState(long state) {
        this.state = state;
    }

    public long nextLong() {
        long z = state += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        long limit = Long.MAX_VALUE - Long.MAX_VALUE % bound;
        while (true) {
            long r = nextLong() >>> 1;
            if (r < limit) {
                return (int) (r % bound);
            }
        }
    }
}
