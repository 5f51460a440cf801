package dev.cnnc.spark;

import dev.cnnc.runtime.io.Safetensors;
import dev.cnnc.runtime.train.Checkpoint;
import dev.cnnc.runtime.train.Initializer;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One worker's task in an epoch's barrier stage: restore the last checkpoint (or the seeded
 * initial weights), join the ring, then for every global batch from there compute this worker's
 * slice, sum with the others, apply the update; worker 0 writes the checkpoints. When Spark
 * retries the stage after a lost worker, every task starts again from the last checkpoint, so the
 * run ends with the weights an uninterrupted one would have.
 */
final class ReplicaEpoch extends AbstractFunction1<scala.collection.Iterator<Tuple2<Long, Example>>, scala.collection.Iterator<EpochReport>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    /** How long a worker waits for a silent peer before its task fails (and Spark retries the stage). */
    static final int PEER_TIMEOUT_MILLIS = 120_000;
    private final Job job;
    private final int epoch;
    private final long shuffleState;

    /** Epoch {@code epoch} of the job, whose shuffle starts from {@code shuffleState} (the driver keeps it from epoch to epoch). */
    ReplicaEpoch(Job job, int epoch, long shuffleState) {
        this.job = job;
        this.epoch = epoch;
        this.shuffleState = shuffleState;
    }

    @Override
    public scala.collection.Iterator<EpochReport> apply(scala.collection.Iterator<Tuple2<Long, Example>> records) {
        BarrierTaskContext context = BarrierTaskContext.get();
        try {
            EpochReport report = run(context, CollectionConverters.asJava(records));
            return CollectionConverters.asScala(List.of(report).iterator());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (dev.cnnc.compiler.emit.java.InMemoryJavac.Failure e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private EpochReport run(BarrierTaskContext context, Iterator<Tuple2<Long, Example>> records)
            throws IOException, dev.cnnc.compiler.emit.java.InMemoryJavac.Failure {
        long started = System.nanoTime();
        EpochPlan plan = job.plan();
        int rank = context.partitionId();
        int workers = plan.workers();
        int maxSlice = (plan.batch() + workers - 1) / workers;
        Replica replica = new Replica(job, rank, maxSlice);
        Path dir = Path.of(job.checkpointDir());
        Checkpoint restored = null;
        if (Files.exists(dir.resolve(Checkpoint.FILE))) {
            try {
                restored = Checkpoint.load(dir, replica.net, replica.optimizer);
            } catch (Checkpoint.Corrupt e) {
                throw new IOException(e.getMessage(), e);
            }
        } else {
            Initializer.pytorchDefault(replica.net, job.seed());
        }
        long step = restored == null ? 0 : restored.step();
        String host = context.getTaskInfos()[rank].address();
        host = host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        try (RingAllReduce ring = new RingAllReduce(rank, workers, host)) {
            long restoredStep = step;
            ring.connect(address -> {
                // each task publishes "host:port step": its ring address and the checkpoint step it restored
                String[] all = context.allGather(address + " " + restoredStep);
                String[] addresses = new String[all.length];
                for (int w = 0; w < all.length; w++) {
                    String[] parts = all[w].split(" ");
                    addresses[w] = parts[0];
                    if (Long.parseLong(parts[1]) != restoredStep) {
                        throw new IllegalStateException("the workers restored different checkpoints from " + dir + " (worker " + rank
                                + " at step " + restoredStep + ", worker " + w + " at step " + parts[1] + "): --checkpoint-dir must be a folder "
                                + "every worker shares");
                    }
                }
                return addresses;
            }, PEER_TIMEOUT_MILLIS);
            if (restored != null && restored.epoch() > epoch) {
                // the stage is retried after this epoch's last checkpoint was written: nothing is left to run
                return new EpochReport(rank, epoch, step, new float[0], 0, 0, 0, 0, 0, 0, 0, isFinished(step, epoch + 1), true);
            }
            Checkpoint.EpochSoFar soFar = restored != null && restored.epoch() == epoch ? restored.soFar() : Checkpoint.EpochSoFar.NONE;
            int firstBatch = restored != null && restored.epoch() == epoch ? restored.batch() : 0;
            long firstStep = step;
            replica.optimizer.setLearningRate(replica.schedule.rate(replica.baseRate, epoch - 1));
            double lossSum = soFar.lossSum();
            long correct = soFar.correct();
            long seen = soFar.seen();
            long examples = 0;
            long computeNanos = 0;
            List<Float> losses = new ArrayList<>();
            List<Example> slice = new ArrayList<>(maxSlice);
            Tuple2<Long, Example> pending = null;
            boolean finished = false;
            float[] state = replica.net.state();
            for (int k = firstBatch; k < plan.batches(); k++) {
                if (job.steps() > 0 && step >= job.steps()) {
                    finished = true;
                    break;
                }
                long t0 = System.nanoTime();
                long from = plan.sliceStart(k, rank);
                long to = plan.sliceStart(k, rank + 1);
                slice.clear();
                while (slice.size() < to - from) {
                    Tuple2<Long, Example> r = pending != null ? pending : records.hasNext() ? records.next() : null;
                    pending = null;
                    if (r == null) {
                        throw new IllegalStateException("worker " + rank + " ran out of examples at batch " + k + " of epoch " + epoch
                                + " (a cnnc-spark bug: the shuffle lost records)");
                    }
                    if (r._1() < from) {
                        continue; // a batch run before the checkpoint this stage resumed from
                    }
                    slice.add(r._2());
                }
                replica.load(slice);
                int n = slice.size();
                int batch = plan.batchSize(k);
                float[] part = replica.slice(n, batch, step, job.seed(), rank);
                computeNanos += System.nanoTime() - t0;
                ring.sum(part);
                long t1 = System.nanoTime();
                replica.apply(part, step + 1);
                step++;
                float stepLoss = part[replica.lossIndex()];
                losses.add(stepLoss);
                lossSum += (double) stepLoss * batch;
                correct += Math.round(part[replica.lossIndex() + 1]);
                seen += batch;
                examples += n;
                computeNanos += System.nanoTime() - t1;
                boolean lastOfEpoch = k == plan.batches() - 1;
                boolean stop = job.steps() > 0 && step >= job.steps();
                boolean checkpoint = lastOfEpoch || stop || job.checkpointEvery() > 0 && step % job.checkpointEvery() == 0;
                if (checkpoint) {
                    if (state.length > 0 && workers > 1) {
                        // each replica's batchnorm ran on its own slice: checkpoints keep the mean of their running statistics
                        float[] mean = state.clone();
                        ring.sum(mean);
                        for (int i = 0; i < mean.length; i++) {
                            state[i] = mean[i] / workers;
                        }
                    }
                    double seconds = soFar.seconds() + (System.nanoTime() - started) / 1e9;
                    Checkpoint c = lastOfEpoch
                            ? new Checkpoint(epoch + 1, 0, step, plan.nextShuffleState(shuffleState), 0, Checkpoint.EpochSoFar.NONE, job.settings())
                            : new Checkpoint(epoch, k + 1, step, shuffleState, 0,
                            new Checkpoint.EpochSoFar(lossSum, correct, (int) seen, seconds), job.settings());
                    if (rank == 0) {
                        c.save(dir, replica.net, replica.optimizer, null);
                    }
                }
                if (stop || lastOfEpoch && epoch == job.epochs() && job.steps() <= 0) {
                    finished = true;
                    if (rank == 0 && job.save() != null) {
                        Safetensors.save(replica.net, Path.of(job.save()));
                    }
                    break;
                }
            }
            float[] stepLosses = new float[losses.size()];
            for (int i = 0; i < stepLosses.length; i++) {
                stepLosses[i] = losses.get(i);
            }
            return new EpochReport(rank, epoch, firstStep, stepLosses, lossSum, correct, seen, examples, computeNanos, ring.nanos(),
                    soFar.seconds() + (System.nanoTime() - started) / 1e9, finished, false);
        }
    }

    private boolean isFinished(long step, int nextEpoch) {
        return job.steps() > 0 ? step >= job.steps() : nextEpoch > job.epochs();
    }
}
