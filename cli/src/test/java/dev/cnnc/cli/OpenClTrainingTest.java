package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The samples' Fashion-MNIST net trained for 200 steps with Adam on the shipped real subset,
 * on the Java backend and on OpenCL (PoCL in CI), from the same seed, and the loss compared at
 * every step.
 *
 * <p>Two float32 implementations that add in different orders cannot stay within 1e-3 for 200
 * Adam steps: Adam turns gradients that are zero up to rounding into full-size steps, so the
 * runs drift apart. The Java backend against itself shows it: its Vector API and plain-Java
 * builds (the same code, products summed in another order) pass 1e-3 at step ~100 of this run
 * and reach 4.5% by step 200. When the drift starts moves with every change of summation order
 * (OpenCL passed 1e-3 at step 97 with scalar dense kernels, at step 79 with the preferred-width
 * vector ones; the Java builds at 109, then 100 after the NT product changed). So OpenCL's largest
 * deviation so far is held to 1e-3 for the first 60 steps, and after that to a fixed figure,
 * {@link #OPENCL_LOOSE}, set from measurements (not from the run under test, so that the bound
 * cannot widen when the Java builds themselves go wrong); and the loss falls. Each step's
 * gradient is checked far tighter elsewhere: against PyTorch over random models
 * (RandomModelsTorchTest, 5e-4 of each update) and against the reference (GeneratedVsReferenceTest).
 *
 * <p>OpenCL computes convolutions directly (im2col and products), so it is compared with the Java
 * backend's direct build ({@code --no-winograd}); the Java backend's default build, with Winograd's
 * F(2x2, 3x3) for conv2, is held to the same bounds against it, except that its strict part is
 * shorter and its loose part looser: its transforms add and subtract inputs before multiplying,
 * which rounds differently enough that it first passed 1e-3 at step 55 of this run (each step's
 * outputs and gradients still agree with double precision to 1e-5 (WinogradTest) and with PyTorch
 * to 1e-4 over five SGD steps (TorchCrossCheckTest)). Its loss must fall as OpenCL's does.
 */
class OpenClTrainingTest {
    static final int STEPS = 200;
    /** Steps held to 1e-3 outright: OpenCL first passed it at step 79 and 97 in two builds, the Java builds at 100-110. */
    static final int STRICT_STEPS = 60;
    /** Steps the Winograd build is held to 1e-3 against the direct one: it first passed it at step 55. */
    static final int WINOGRAD_STRICT_STEPS = 40;
    /**
     * After that, how far the Winograd build may drift while the Java builds' own drift is still small:
     * it measured 2.0% by step 100 and 8.8% by step 200 (the direct builds 0.03% and 6.2%, OpenCL
     * 0.1% and 5.2%): it leaves the shared trajectory sooner, not further.
     */
    static final double WINOGRAD_LOOSE = 0.12;
    /**
     * After step 60, how far OpenCL may drift from the Java direct build. Measured: OpenCL ended
     * within 3.5%, and after the weight gradient became col x dZ^T, in a clean-clone CI run, within
     * 5.2% (the Java builds 1.45% apart at step 200), both on AMD Zen 3 (AVX2); on an Intel Xeon
     * with AVX-512 (16 lanes, so other summation orders) 6.8%, the Java builds 8.2% apart, the
     * Winograd build 3.1%. About twice the largest: 0.15.
     */
    static final double OPENCL_LOOSE = 0.15;
    static final Pattern STEP = Pattern.compile("(?m)^step (\\d+)  loss (\\S+)");

    @Test
    void twoHundredStepsOnOpenClFollowTheJavaBackend(@TempDir Path dir) throws Exception {
        List<Double> java = losses(dir, "java", "--simd", "vector", "--no-winograd");
        List<Double> plain = losses(dir, "java", "--simd", "none", "--no-winograd");
        List<Double> winograd = losses(dir, "java", "--simd", "vector");
        List<Double> cl = losses(dir, "opencl");
        assertEquals(STEPS, java.size());
        assertEquals(STEPS, plain.size());
        assertEquals(STEPS, winograd.size());
        assertEquals(STEPS, cl.size());
        double drift = 0;
        double clDrift = 0;
        double winogradDrift = 0;
        for (int i = 0; i < STEPS; i++) {
            drift = Math.max(drift, Math.abs(java.get(i) - plain.get(i)) / Math.abs(java.get(i)));
            clDrift = Math.max(clDrift, Math.abs(java.get(i) - cl.get(i)) / Math.abs(java.get(i)));
            winogradDrift = Math.max(winogradDrift, Math.abs(java.get(i) - winograd.get(i)) / Math.abs(java.get(i)));
            int step = i + 1;
            double allowed = step <= STRICT_STEPS ? 1e-3 : OPENCL_LOOSE;
            System.out.printf("step %d: Java %.4f, plain Java %.4f, Winograd %.4f, OpenCL %.4f%n", step, java.get(i), plain.get(i),
                    winograd.get(i), cl.get(i));
            assertTrue(clDrift <= allowed, "step " + step + ": Java " + java.get(i) + ", OpenCL " + cl.get(i) + "; OpenCL's drift so far "
                    + clDrift + ", the Java builds' own " + drift);
            double winogradAllowed = step <= WINOGRAD_STRICT_STEPS ? 1e-3 : WINOGRAD_LOOSE;
            assertTrue(winogradDrift <= winogradAllowed, "step " + step + ": Java " + java.get(i) + ", Winograd " + winograd.get(i)
                    + "; Winograd's drift so far " + winogradDrift + ", the Java builds' own " + drift);
        }
        System.out.printf(Locale.ROOT, "OpenCL vs Java direct: %.4f; Winograd vs Java direct: %.4f; the Java builds: %.4f (largest over %d steps)%n",
                clDrift, winogradDrift, drift, STEPS);
        double first = java.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = cl.subList(STEPS - 10, STEPS).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.5 * first, "the loss falls: " + first + " -> " + last);
        double lastWinograd = winograd.subList(STEPS - 10, STEPS).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(lastWinograd < 0.5 * first, "the Winograd build's loss falls: " + first + " -> " + lastWinograd);
    }

    static List<Double> losses(Path dir, String backend, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "../samples/fashion_mnist.cnn", "--data", "../samples/data/fashion-mnist-small",
                "--steps", Integer.toString(STEPS), "--batch", "32", "--seed", "5", "--report-every", "1", "--backend", backend,
                "--run-dir", Files.createTempDirectory(dir, backend).toString()));
        args.addAll(List.of(options));
        CheckCommandTest.Run run = CheckCommandTest.run(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.out() + run.err());
        List<Double> out = new ArrayList<>();
        Matcher m = STEP.matcher(run.out());
        while (m.find()) {
            out.add(Double.parseDouble(m.group(2)));
        }
        return out;
    }
}
