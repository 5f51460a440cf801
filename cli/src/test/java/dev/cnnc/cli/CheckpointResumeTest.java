package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints: a run stopped and resumed ends with the same weights, bit for bit, as one never
 * interrupted (shuffling and dropout included); a crash while a checkpoint is written leaves the
 * previous one usable; a corrupted checkpoint is detected and named.
 */
class CheckpointResumeTest {
    static final String MODEL = "model K\ninput 8x8x1\nconv 3 3x3 pad same; relu\nflatten\ndense 12; relu; dropout 0.25\ndense 3\n"
            + "train { loss cross_entropy; optimizer adam lr 0.01; batch 16; epochs 2; normalize scale 1/255;"
            + " augment flip, shift 1, rotate 10, crop 1, noise 0.01 }\n";

    @AfterEach
    void clearHook() {
        TrainCommand.beforeCheckpointRename = null;
    }

    static CheckCommandTest.Run train(Path dir, String... extra) {
        String[] base = {"train", dir.resolve("k.cnn").toString(), "--data", dir.resolve("data").toString(), "--seed", "5", "--threads", "2",
                "--report-every", "0"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CheckCommandTest.run(all);
    }

    @Test
    void resumedRunsEndWhereUninterruptedOnesDo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("k.cnn"), MODEL);
        BackendCommandsTest.writeLearnableIdx(Files.createDirectories(dir.resolve("data")), 200); // 13 batches an epoch
        assertEquals(0, train(dir, "--save", dir.resolve("whole.safetensors").toString()).exit());
        byte[] whole = Files.readAllBytes(dir.resolve("whole.safetensors"));

        for (String stopAt : new String[] {"10", "13", "20"}) { // mid-epoch, an epoch's last batch, the second epoch
            Path ck = dir.resolve("ck" + stopAt);
            CheckCommandTest.Run first = train(dir, "--checkpoint-dir", ck.toString(), "--checkpoint-every", "4", "--steps", stopAt);
            assertEquals(0, first.exit(), first.err());
            Path out = dir.resolve("resumed" + stopAt + ".safetensors");
            CheckCommandTest.Run second = train(dir, "--resume", ck.toString(), "--save", out.toString());
            assertEquals(0, second.exit(), second.err());
            assertTrue(second.out().contains("resuming at epoch"), second.out());
            assertArrayEquals(whole, Files.readAllBytes(out), "stopped at step " + stopAt + " and resumed");
        }
    }

    @Test
    void aCrashWhileCheckpointingLeavesThePreviousCheckpoint(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("k.cnn"), MODEL);
        BackendCommandsTest.writeLearnableIdx(Files.createDirectories(dir.resolve("data")), 200);
        assertEquals(0, train(dir, "--save", dir.resolve("whole.safetensors").toString()).exit());
        Path ck = dir.resolve("ck");
        AtomicInteger writes = new AtomicInteger();
        TrainCommand.beforeCheckpointRename = () -> {
            if (writes.incrementAndGet() == 2) {
                throw new IllegalStateException("simulated crash between write and rename"); // the second checkpoint, at step 8
            }
        };
        CheckCommandTest.Run crashed = train(dir, "--checkpoint-dir", ck.toString(), "--checkpoint-every", "4", "--steps", "12");
        assertNotEquals(0, crashed.exit());
        TrainCommand.beforeCheckpointRename = null;
        Path out = dir.resolve("after-crash.safetensors");
        CheckCommandTest.Run resumed = train(dir, "--resume", ck.toString(), "--save", out.toString());
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.out().contains("resuming at epoch 1, step 4"), resumed.out());
        assertArrayEquals(Files.readAllBytes(dir.resolve("whole.safetensors")), Files.readAllBytes(out));
    }

    @Test
    void aCorruptedCheckpointIsNamed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("k.cnn"), MODEL);
        BackendCommandsTest.writeLearnableIdx(Files.createDirectories(dir.resolve("data")), 200);
        Path ck = dir.resolve("ck");
        assertEquals(0, train(dir, "--checkpoint-dir", ck.toString(), "--steps", "5").exit());
        Path file = ck.resolve("checkpoint.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 10] ^= 0x40; // one bit of one weight
        Files.write(file, bytes);
        CheckCommandTest.Run r = train(dir, "--resume", ck.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("corrupted checkpoint: " + file) && r.err().contains("SHA-256"), r.err());
        Files.write(file, new byte[] {1, 2, 3});
        CheckCommandTest.Run truncated = train(dir, "--resume", ck.toString());
        assertEquals(1, truncated.exit());
        assertTrue(truncated.err().contains("corrupted checkpoint"), truncated.err());
    }
}
