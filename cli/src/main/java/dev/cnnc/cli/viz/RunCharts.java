package dev.cnnc.cli.viz;

import dev.cnnc.runtime.train.EpochListener;
import dev.cnnc.runtime.train.Evaluation;
import dev.cnnc.runtime.train.Metrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A training run's pictures in its run folder, redrawn after every epoch so a long run can be
 * watched: curves.png (loss and accuracy per epoch) and confusion.png (the latest validation or
 * test confusion matrix; the test set's once the run ends).
 */
public final class RunCharts implements EpochListener {
    private final Path dir;
    private final String model;
    private final String watchedName;
    private final Path dataDir;
    private java.awt.image.BufferedImage curvesImage;
    private java.awt.image.BufferedImage confusionImage;
    private Evaluation test;

    /** {@code watchedName}: "validation" or "test"; {@code dataDir}'s classes.txt, if any, names the classes. */
    public RunCharts(Path dir, String model, String watchedName, Path dataDir) {
        this.dir = dir;
        this.model = model;
        this.watchedName = watchedName;
        this.dataDir = dataDir;
    }

    public Path curves() {
        return dir.resolve("curves.png");
    }

    public Path confusion() {
        return dir.resolve("confusion.png");
    }

    @Override
    public void epochEnded(List<Metrics.Epoch> epochs, Evaluation watched, int bestEpoch) {
        try {
            curvesImage = Curves.draw(model, epochs, watchedName, bestEpoch);
            Png.write(curvesImage, curves());
            if (watched != null && watched.confusion() != null) {
                confusionImage = ConfusionImage.draw(model + ": " + watchedName + " set, epoch " + epochs.get(epochs.size() - 1).epoch(),
                        watched.confusion(), classNames(watched.confusion().length));
                Png.write(confusionImage, confusion());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void tested(Evaluation test) {
        this.test = test;
        if (test.confusion() == null) {
            return;
        }
        try {
            confusionImage = ConfusionImage.draw(model + ": test set, " + test.count() + " images", test.confusion(),
                    classNames(test.confusion().length));
            Png.write(confusionImage, confusion());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The curves last drawn, or null before the first epoch's end. */
    public java.awt.image.BufferedImage curvesImage() {
        return curvesImage;
    }

    /** The confusion matrix last drawn (the test set's once the run has ended), or null. */
    public java.awt.image.BufferedImage confusionImage() {
        return confusionImage;
    }

    /** The test set's evaluation once the run has ended, or null (no test set). */
    public Evaluation test() {
        return test;
    }

    /** The names in the data folder's classes.txt when it has one a class, else the class numbers. */
    public List<String> classNames(int k) {
        Path file = dataDir == null ? null : dataDir.resolve("classes.txt");
        try {
            if (file != null && Files.isRegularFile(file)) {
                List<String> lines = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
                if (lines.size() == k) {
                    return lines;
                }
            }
        } catch (IOException e) {
            // unreadable names: the numbers do
        }
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            numbers.add(Integer.toString(i));
        }
        return numbers;
    }
}
