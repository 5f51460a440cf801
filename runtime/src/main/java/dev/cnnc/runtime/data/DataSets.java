package dev.cnnc.runtime.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and reads a data folder in any of the formats cnnc knows, told apart by their files:
 * IDX (MNIST layout), CIFAR-10 binary batches (data_batch_*.bin, test_batch.bin), or image
 * folders (one sub-folder per class, optionally under train/ and test/, as torchvision's
 * ImageFolder; classes in name order).
 */
public final class DataSets {
    /** The training and (possibly null) test data, and the format found. */
    public record Split(Dataset train, Dataset test, String format) {
    }

    private DataSets() {
    }

    public static Split load(Path dir, IdxDataDir.Spec spec) throws IOException, Idx.BadFile {
        if (!Files.isDirectory(dir)) {
            throw new Idx.BadFile(dir + ": not a folder");
        }
        if (IdxDataDir.find(dir, "train-images") != null) {
            return new Split(IdxDataDir.train(dir, spec), IdxDataDir.test(dir, spec), "IDX");
        }
        List<Path> batches = list(dir, "data_batch_*.bin");
        if (!batches.isEmpty()) {
            Path test = dir.resolve("test_batch.bin");
            return new Split(cifar(batches, spec, "train"), Files.exists(test) ? cifar(List.of(test), spec, "test") : null, "CIFAR-10 binary");
        }
        Path trainDir = Files.isDirectory(dir.resolve("train")) ? dir.resolve("train") : dir;
        List<Path> classes = folders(trainDir);
        if (!classes.isEmpty()) {
            Path testDir = dir.resolve("test");
            return new Split(imageFolder(trainDir, classes, spec, "train"),
                    trainDir.equals(dir) || !Files.isDirectory(testDir) ? null : imageFolder(testDir, folders(trainDir), spec, "test"),
                    "image folders (" + classes.size() + " classes)");
        }
        throw new Idx.BadFile(dir + ": no data found: expected IDX files (train-images*, train-labels*), CIFAR-10 batches "
                + "(data_batch_*.bin), or one sub-folder of images per class");
    }

    /** CIFAR-10: records of one label byte and 3,072 pixel bytes, channel planes R, G, B of 32x32 (already C,H,W). */
    static Dataset cifar(List<Path> files, IdxDataDir.Spec spec, String name) throws IOException, Idx.BadFile {
        if (spec.channels() != 3 || spec.height() != 32 || spec.width() != 32) {
            throw new Idx.BadFile(files.get(0) + ": CIFAR-10 images are 32x32x3, but the model's input is " + spec.height() + "x"
                    + spec.width() + "x" + spec.channels());
        }
        int record = 1 + 3072;
        List<byte[]> contents = new ArrayList<>();
        int count = 0;
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            if (bytes.length == 0 || bytes.length % record != 0) {
                throw new Idx.BadFile(f + ": truncated: " + bytes.length + " bytes is not a whole number of 3,073-byte CIFAR-10 records");
            }
            contents.add(bytes);
            count += bytes.length / record;
        }
        float[] x = new float[count * 3072];
        int[] y = new int[count];
        int e = 0;
        for (int fi = 0; fi < files.size(); fi++) {
            byte[] bytes = contents.get(fi);
            for (int r = 0; r < bytes.length / record; r++, e++) {
                int label = bytes[r * record] & 0xff;
                if (label >= spec.classes()) {
                    throw new Idx.BadFile(files.get(fi) + ": label " + label + " of record " + r + " is not a class of this model (0 to "
                            + (spec.classes() - 1) + ")");
                }
                y[e] = label;
                for (int i = 0; i < 3072; i++) {
                    x[e * 3072 + i] = spec.normalise(bytes[r * record + 1 + i] & 0xff, i / 1024);
                }
            }
        }
        return new Dataset(name, x, y, null, 0, count, 3072);
    }

    static Dataset imageFolder(Path dir, List<Path> classes, IdxDataDir.Spec spec, String name) throws IOException, Idx.BadFile {
        if (classes.size() > spec.classes()) {
            throw new Idx.BadFile(dir + ": " + classes.size() + " class folders, but the model has " + spec.classes() + " outputs");
        }
        List<float[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path classDir = dir.resolve(classes.get(c).getFileName().toString());
            if (!Files.isDirectory(classDir)) {
                continue; // a class the test split does not have
            }
            List<Path> files = list(classDir, "*.{png,PNG,jpg,JPG,jpeg,JPEG,gif,bmp}");
            if (files.isEmpty() && dir.equals(classDir.getParent())) {
                throw new Idx.BadFile(classDir + ": no images (PNG, JPEG, GIF, BMP) in this class folder");
            }
            for (Path f : files) {
                images.add(Images.read(f, spec.channels(), spec.height(), spec.width()));
                labels.add(c);
            }
        }
        int size = spec.channels() * spec.height() * spec.width();
        float[] x = new float[images.size() * size];
        int[] y = new int[images.size()];
        int plane = spec.height() * spec.width();
        for (int e = 0; e < images.size(); e++) {
            float[] img = images.get(e);
            for (int i = 0; i < size; i++) {
                x[e * size + i] = spec.normalise(img[i], i / plane);
            }
            y[e] = labels.get(e);
        }
        return new Dataset(name, x, y, null, 0, images.size(), size);
    }

    private static List<Path> folders(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(out::add);
        }
        out.removeIf(p -> p.getFileName().toString().startsWith("."));
        out.sort(null);
        return out;
    }

    private static List<Path> list(Path dir, String glob) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
            s.forEach(out::add);
        }
        out.sort(null);
        return out;
    }
}
