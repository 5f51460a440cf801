package dev.cnnc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the training data is: --data, else $CNNC_DATA, else Debian's Fashion-MNIST, else the
 * small subset shipped with cnnc (saying so). Nothing is downloaded.
 */
final class DataLocator {
    static final Path DEBIAN = Path.of("/usr/share/datasets/fashion-mnist");

    /** The folder, and a line to print when it is not the one the user named. */
    record Found(Path dir, String note) {
    }

    private DataLocator() {
    }

    /** The subset shipped in the checkout: the launcher passes -Dcnnc.home=ROOT. */
    static Path shipped() {
        String home = System.getProperty("cnnc.home");
        return (home == null ? Path.of("..") : Path.of(home)).resolve("samples/data/fashion-mnist-small");
    }

    /** The synthetic segmentation set shipped in the checkout (tools/make_shapes.py): shapes on noise, with masks. */
    static Path shippedShapes() {
        String home = System.getProperty("cnnc.home");
        return (home == null ? Path.of("..") : Path.of(home)).resolve("samples/data/shapes");
    }

    /** Where a segmentation model's data is: --data, else $CNNC_DATA, else the shipped shapes set. */
    static Found locateMasks(Path explicit, Map<String, String> env, Path shipped) throws Models.Stop {
        Found named = named(explicit, env);
        if (named != null) {
            return named;
        }
        if (Files.isDirectory(shipped)) {
            return new Found(shipped, "data: the synthetic shapes set shipped with cnnc (" + shipped.normalize()
                    + ", 32x32 images with a class a pixel: background, square, disc); give --data DIR for yours");
        }
        throw new Models.Stop(Main.USAGE, "no training data: give --data DIR with IDX images (train-images*, t10k-images*) and masks "
                + "(train-labels*, t10k-labels*, [N,H,W] one byte a pixel), or set CNNC_DATA");
    }

    static Found locate(Path explicit, Map<String, String> env, Path debian, Path shipped) throws Models.Stop {
        Found named = named(explicit, env);
        if (named != null) {
            return named;
        }
        if (Files.isDirectory(debian)) {
            return new Found(debian, "data: " + debian + " (Debian's dataset-fashion-mnist)");
        }
        if (Files.isDirectory(shipped)) {
            return new Found(shipped, "data: the small Fashion-MNIST subset shipped with cnnc (" + shipped.normalize()
                    + ", 5,000 training and 1,000 test images); for the full set: apt-get install -y dataset-fashion-mnist");
        }
        throw new Models.Stop(Main.USAGE, "no training data: give --data DIR (IDX files: train-images*, train-labels*, t10k-*), "
                + "set CNNC_DATA, or install Fashion-MNIST with: apt-get install -y dataset-fashion-mnist");
    }

    /** The folder --data or $CNNC_DATA names (refused when it is not one), or null when neither names any. */
    private static Found named(Path explicit, Map<String, String> env) throws Models.Stop {
        if (explicit != null) {
            if (!Files.isDirectory(explicit)) {
                throw new Models.Stop(Main.USAGE, "--data " + explicit + ": no such folder");
            }
            return new Found(explicit, null);
        }
        String fromEnv = env.get("CNNC_DATA");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path dir = Path.of(fromEnv);
            if (!Files.isDirectory(dir)) {
                throw new Models.Stop(Main.USAGE, "CNNC_DATA=" + fromEnv + ": no such folder");
            }
            return new Found(dir, "data from $CNNC_DATA: " + dir);
        }
        return null;
    }
}
