package dev.cnnc.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.emit.JavaBackend;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.train.DataSpecs;
import dev.cnnc.runtime.Network;
import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.data.IdxDataDir;
import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Initializer;
import dev.cnnc.runtime.train.Loss;
import dev.cnnc.runtime.train.Optimizer;
import dev.cnnc.runtime.train.Schedule;
import dev.cnnc.runtime.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Spark's local[2] master: two workers in this JVM, talking through the same ring as on a cluster. */
class LocalTrainingTest {
    static final int STEPS = 200;
    static final int BATCH = 64;
    static final long SEED = 5;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        SparkConf conf = Main.configure(new SparkConf().setMaster("local[2]").setAppName("cnnc-spark test").set("spark.ui.enabled", "false"));
        sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        sc.close();
    }

    /**
     * 200 steps of the Fashion net, global batch 64, on 2 workers: the same losses and weights as
     * cnnc train with batch 64, within the drift that the order of float sums explains — measured
     * here as the difference between two single-machine runs that differ only in the order of the
     * examples inside each batch. Against two replicas stepped in this JVM, summed in the same
     * order, the Spark run is bit for bit the same.
     */
    @Test
    void twoWorkersTrainAsOneMachineWithTheSameBatch() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "local-");
        Path weights = dir.resolve("weights.safetensors");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        SparkTrainer.Result spark = SparkTrainer.train(sc, Settings.of(TestData.MODEL, TestData.data()).withWorkers(2).withBatch(BATCH)
                .withSteps((long) STEPS).withSeed(SEED).withRunDir(dir.resolve("run")).withSave(weights), new PrintStream(printed, true));
        String out = printed.toString();
        System.out.print(out);
        assertEquals(STEPS, spark.stepLosses().length);
        assertTrue(out.contains("images/s (") && out.contains("per worker)") && out.contains("exchange"), out);
        float[] sparkWeights = flat(weights);

        TestData.Run twoInProcess = TestData.replicas(2, BATCH, STEPS, SEED, false);
        assertArrayEquals(twoInProcess.losses(), spark.stepLosses(), "Spark's losses are the in-process replicas' bits");
        assertArrayEquals(twoInProcess.parameters(), sparkWeights, "Spark's weights are the in-process replicas' bits");

        TestData.Drift drift = TestData.drift();
        assertArrayEquals(cnncTrain(), drift.one().parameters(), "one replica steps exactly as cnnc train's trainer");
        drift.assertClose(spark.stepLosses(), sparkWeights);
    }

    @Test
    void aTruncatedDataFileIsAnErrorOnTheDriverNamingIt() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "truncated-");
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        byte[] images;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(IdxDataDir.find(TestData.data(), "train-images")))) {
            images = in.readAllBytes();
        }
        // the header still promises every image; the file ends halfway
        Files.write(data.resolve("train-images-idx3-ubyte"), java.util.Arrays.copyOf(images, images.length / 2));
        Files.copy(IdxDataDir.find(TestData.data(), "train-labels"), data.resolve("train-labels-idx1-ubyte.gz"));
        long start = System.nanoTime();
        SparkTrainer.Refused e = assertThrows(SparkTrainer.Refused.class, () -> SparkTrainer.train(sc,
                Settings.of(TestData.MODEL, data).withWorkers(2).withSteps(5L).withRunDir(dir.resolve("run")), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte: truncated"), e.getMessage());
        assertTrue(System.nanoTime() - start < 120_000_000_000L);
    }

    @Test
    void refusesWhatItCannotRunBeforeStarting() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "refused-");
        SparkTrainer.Refused slots = assertThrows(SparkTrainer.Refused.class, () -> SparkTrainer.train(sc,
                Settings.of(TestData.MODEL, TestData.data()).withWorkers(3).withRunDir(dir.resolve("a")), System.out));
        assertEquals("--workers 3 needs 3 tasks at once, but master local[2] runs 2; use local[3] or more", slots.getMessage());
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("b").resolve("checkpoint.safetensors"), "x");
        SparkTrainer.Refused earlier = assertThrows(SparkTrainer.Refused.class, () -> SparkTrainer.train(sc,
                Settings.of(TestData.MODEL, TestData.data()).withRunDir(dir.resolve("b")), System.out));
        assertTrue(earlier.getMessage().contains("holds an earlier run's checkpoint; continue it with --resume"), earlier.getMessage());
        Path bad = dir.resolve("bad.cnn");
        Files.writeString(bad, "model Bad\ninput 28x28x1\nconv 8 3x3\nflatten\ndense 10\n");
        SparkTrainer.Refused noTrain = assertThrows(SparkTrainer.Refused.class, () -> SparkTrainer.train(sc,
                Settings.of(bad, TestData.data()).withRunDir(dir.resolve("c")), System.out));
        assertTrue(noTrain.getMessage().contains("has no train { } section"), noTrain.getMessage());
    }

    /** cnnc train's trainer on one machine: batch 64, the same seed and steps, one thread (the final parameters). */
    private static float[] cnncTrain() throws Exception {
        CheckedModel model = TestData.model();
        IdxDataDir.Spec spec = DataSpecs.of(model);
        Dataset train = IdxDataDir.train(TestData.data(), spec);
        try (Network net = JavaBackend.build(model, BATCH, 1, JavaBackend.Options.DEFAULT)) {
            Initializer.pytorchDefault(net, SEED);
            var o = model.train().optimizer();
            Optimizer optimizer = Optimizer.adam(net.parameters().length, o.lr(), o.beta1(), o.beta2(), o.eps(), 0);
            new Trainer(net, optimizer, new PrintStream(new ByteArrayOutputStream())).train(train, null,
                    new Trainer.Config(BATCH, model.train().epochs(), STEPS, true, SEED, 0, Loss.CROSS_ENTROPY, 1.0, Schedule.CONSTANT,
                            o.lr(), 0, 0, null));
            return net.parameters().clone();
        }
    }

    /** The trained parameters of a weights file, in the network's order. */
    static float[] flat(Path weights) throws Exception {
        Map<String, Map.Entry<int[], float[]>> tensors = Safetensors.read(weights);
        try (Network net = JavaBackend.build(TestData.model(), 1, 1, JavaBackend.Options.DEFAULT)) {
            float[] out = new float[net.parameters().length];
            for (var t : net.tensors()) {
                if (t.trainable()) {
                    System.arraycopy(tensors.get(t.name()).getValue(), 0, out, t.offset(), t.size());
                }
            }
            return out;
        }
    }
}
