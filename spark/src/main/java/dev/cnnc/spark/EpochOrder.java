package dev.cnnc.spark;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import scala.Tuple2;

/**
 * Keys each example by its position in an epoch's order. Every task computes the order itself
 * from the seed (cheap next to reading the data, and nothing large crosses the network), once
 * per JVM and epoch.
 */
final class EpochOrder implements PairFlatMapFunction<Iterator<Example>, Long, Example> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, int[]> POSITIONS = new ConcurrentHashMap<>();
    private final EpochPlan plan;
    private final long shuffleState;

    EpochOrder(EpochPlan plan, long shuffleState) {
        this.plan = plan;
        this.shuffleState = shuffleState;
    }

    @Override
    public Iterator<Tuple2<Long, Example>> call(Iterator<Example> examples) {
        String key = plan + "@" + shuffleState;
        int[] positions = POSITIONS.computeIfAbsent(key, k -> {
            POSITIONS.keySet().removeIf(old -> !old.equals(k)); // the previous epoch's order is no longer needed
            return plan.positions(shuffleState);
        });
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return examples.hasNext();
            }

            @Override
            public Tuple2<Long, Example> next() {
                Example e = examples.next();
                return new Tuple2<>((long) positions[e.index()], e);
            }
        };
    }
}
