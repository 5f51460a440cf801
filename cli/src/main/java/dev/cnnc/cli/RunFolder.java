package dev.cnnc.cli;

import dev.cnnc.runtime.io.AtomicFiles;
import dev.cnnc.runtime.io.IoMessages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A training run's folder (metrics, checkpoints), held by one training at a time. A new run never
 * replaces an old one: by default each gets the next number under runs/MODEL (1, 2, ...); a folder
 * named with --run-dir that already holds a run is refused unless the run is being resumed. The
 * lock file holds the training's pid; a lock left by a process that no longer runs is taken over.
 */
final class RunFolder implements AutoCloseable {
    static final String LOCK = ".cnnc-train.lock";

    private final Path dir;
    private final Path lock;
    private final String note;

    private final boolean made;

    private RunFolder(Path dir, Path lock, String note, boolean made) {
        this.dir = dir;
        this.lock = lock;
        this.note = note;
        this.made = made;
    }

    Path dir() {
        return dir;
    }

    /** What to tell the user about the lock (a stale lock taken over), or null. */
    String note() {
        return note;
    }

    /** The next numbered folder under {@code parent}: one past the highest number there. */
    static Path next(Path parent) throws IOException {
        int highest = 0;
        if (Files.isDirectory(parent)) {
            try (var entries = Files.list(parent)) {
                for (Path p : (Iterable<Path>) entries::iterator) {
                    String name = p.getFileName().toString();
                    if (name.matches("[0-9]{1,9}") && Files.isDirectory(p)) {
                        highest = Math.max(highest, Integer.parseInt(name));
                    }
                }
            }
        }
        return parent.resolve(Integer.toString(highest + 1));
    }

    /** Whether a folder holds an earlier run's record. */
    static boolean holdsRun(Path dir) {
        return Files.exists(dir.resolve("metrics.csv")) || Files.exists(dir.resolve("metrics.json"));
    }

    /** Takes the folder (made when missing) for this process; a Stop when another live training holds it. */
    static RunFolder take(Path dir) throws Models.Stop {
        boolean made = !Files.exists(dir);
        try {
            AtomicFiles.checkWritableFolder(dir);
        } catch (IOException e) {
            throw new Models.Stop(Main.USAGE, IoMessages.cannot("write in the run folder", dir, e));
        }
        Path lock = dir.resolve(LOCK);
        long me = ProcessHandle.current().pid();
        String note = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.writeString(lock, me + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return new RunFolder(dir, lock, note, made);
            } catch (FileAlreadyExistsException e) {
                Optional<Long> holder = holder(lock);
                if (holder.isPresent() && holder.get() != me && ProcessHandle.of(holder.get()).map(ProcessHandle::isAlive).orElse(false)) {
                    throw new Models.Stop(Main.USAGE, dir + " is in use by another training (pid " + holder.get() + ", lock file " + lock
                            + "); wait for it to finish or choose another --run-dir");
                }
                note = "taking over " + lock + (holder.isPresent() ? " left by pid " + holder.get() + ", which no longer runs" : " (unreadable)");
                try {
                    Files.deleteIfExists(lock);
                } catch (IOException ex) {
                    throw new Models.Stop(Main.USAGE, IoMessages.cannot("remove the stale lock", lock, ex));
                }
            } catch (IOException e) {
                throw new Models.Stop(Main.USAGE, IoMessages.cannot("lock the run folder", dir, e));
            }
        }
        throw new Models.Stop(Main.USAGE, "cannot lock the run folder " + dir + ": another training keeps taking it");
    }

    private static Optional<Long> holder(Path lock) {
        try {
            return Optional.of(Long.parseLong(Files.readString(lock, StandardCharsets.UTF_8).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(lock);
            if (made) {
                try (var left = Files.list(dir)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(dir); // a run that stopped before writing anything leaves no empty folder
                    }
                }
            }
        } catch (IOException ignored) {
            // a lock left behind is taken over by the next run: its pid no longer runs
        }
    }
}
