package dev.cnnc.spark;

import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * What one gradient exchange costs on this machine, the two ways cnnc-spark could do it: the
 * ring between barrier tasks (two ranks on loopback: latency from a 1-value sum, bandwidth from
 * the Fashion net's and ResNet-20's gradient sizes), and a Spark job per step that tree-aggregates
 * the workers' gradients on the driver (local[2]; the updated weights would still have to be
 * broadcast back). Run by tools/spark_throughput.sh; a measurement, not a test.
 */
public final class ExchangeBench {
    private ExchangeBench() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {1, 272_474 + 2, 421_642 + 2};
        String[] names = {"1 value", "ResNet-20's gradient", "the Fashion net's gradient"};
        for (int s = 0; s < sizes.length; s++) {
            double seconds = ring(sizes[s], 200);
            System.out.printf(Locale.ROOT, "ring, 2 ranks on loopback, %s (%,d floats): %.3f ms a sum, %.2f GB/s a rank sent%n", names[s],
                    sizes[s], seconds * 1e3, sizes[s] * 4.0 / seconds / 1e9);
        }
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("exchange").set("spark.ui.enabled", "false"))) {
            sc.setLogLevel("ERROR");
            for (int s = 1; s < sizes.length; s++) {
                int size = sizes[s];
                List<Integer> parts = List.of(0, 1);
                for (int warm = 0; warm < 5; warm++) {
                    aggregate(sc, parts, size);
                }
                int jobs = 30;
                long start = System.nanoTime();
                for (int j = 0; j < jobs; j++) {
                    aggregate(sc, parts, size);
                }
                System.out.printf(Locale.ROOT, "a Spark job a step (treeAggregate of 2 partitions on the driver, local[2]), %s: %.1f ms a step%n", names[s],
                        (System.nanoTime() - start) / 1e6 / jobs);
            }
        }
    }

    private static float[] aggregate(JavaSparkContext sc, List<Integer> parts, int size) {
        return sc.parallelize(parts, 2).map(p -> {
            float[] g = new float[size];
            java.util.Arrays.fill(g, p);
            return g;
        }).treeAggregate(new float[size], (a, b) -> add(a, b), (a, b) -> add(a, b));
    }

    private static float[] add(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }

    /** Seconds a sum over two ranks takes, the mean of {@code repeats} after a warm-up (the slower rank's). */
    private static double ring(int size, int repeats) throws Exception {
        return ThreadRings.run(2, (rank, ring) -> {
            float[] v = new float[size];
            for (int i = 0; i < 20; i++) {
                ring.sum(v);
            }
            long start = System.nanoTime();
            for (int i = 0; i < repeats; i++) {
                ring.sum(v);
            }
            return (System.nanoTime() - start) / 1e9 / repeats;
        }).stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
