package dev.cnnc.bench;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.emit.OpenClBackend;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.SoftmaxCrossEntropy;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step (forward, cross-entropy, backward, Adam) and one inference forward of the
 * samples' generated code, for each backend: Java with Vector API products, plain Java, OpenCL. Reported as time per step of {@code batch}
 * examples; images/s = batch / time. Run from the repository root (the samples are read from
 * samples/, or -Dcnnc.samples=DIR):
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ModelBenchmark {
    @Param({"fashion_mnist", "cifar10_simple", "vgg_stage", "resnet_block"})
    public String model;

    /** java-vector: the Java backend with Vector API products; java-none: plain Java; opencl: OpenCL device 0 (PoCL here). */
    @Param({"java-vector", "java-none", "opencl"})
    public String backend;

    @Param({"32"})
    public int batch;

    private Network net;
    private Optimizer adam;
    private float[] input;
    private int[] labels;

    @Setup(Level.Trial)
    public void build() throws Exception {
        Path file = Path.of(System.getProperty("cnnc.samples", "samples"), model + ".cnn");
        CheckResult checked = Frontend.check(SourceFiles.read(file));
        if (!checked.ok()) {
            throw new IllegalStateException(file + " does not check: " + checked.diagnostics());
        }
        net = backend.equals("opencl")
                ? OpenClBackend.build(checked.model(), batch, 0, true)
                : JavaBackend.build(checked.model(), batch, Runtime.getRuntime().availableProcessors(),
                        new JavaBackend.Options(backend.equals("java-vector"), true));
        Initializer.pytorchDefault(net, 1);
        SplittableRandom random = new SplittableRandom(1);
        input = new float[batch * net.inputSize()];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextDouble();
        }
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = random.nextInt(net.outputSize());
        }
        adam = Optimizer.adam(net.parameters().length, 1e-4, 0.9, 0.999, 1e-8, 0);
    }

    @TearDown(Level.Trial)
    public void close() {
        net.close();
    }

    @Benchmark
    public float trainStep() {
        net.forward(input, batch, true);
        SoftmaxCrossEntropy.lossAndGradient(net.output(), labels, 0, batch, net.outputSize(), net.outputGradient());
        net.backward(batch);
        net.step(adam, 0); // on the device for OpenCL: nothing but the logits comes back
        return net.output()[0];
    }

    @Benchmark
    public float inferStep() {
        net.forward(input, batch, false);
        return net.output()[0];
    }
}
