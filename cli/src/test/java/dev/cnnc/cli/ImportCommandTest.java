package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.io.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cnnc import}: what it writes checks and loads; a file it cannot read is one clear error. (Numbers against torch: cnnc-onnx's OnnxImportTest.) */
class ImportCommandTest {
    @Test
    void exportedThenImportedTheModelChecksWithItsWeights(@TempDir Path dir) throws Exception {
        VizFixtures f = new VizFixtures("residual", dir);
        Path onnx = dir.resolve("res-net.onnx");
        assertEquals(0, CheckCommandTest.run("export", f.cnn.toString(), "--weights", f.weights.toString(), "-o", onnx.toString()).exit());
        Path cnn = dir.resolve("back.cnn");
        CheckCommandTest.Run r = CheckCommandTest.run("import", onnx.toString(), "-o", cnn.toString());
        assertEquals(0, r.exit(), r.err());
        Path weights = dir.resolve("back.safetensors");
        assertEquals(cnn + ": ResNet, 13 layers, 7,350 parameters\n" + weights + ": 17 tensors\n", r.out());
        String text = Files.readString(cnn);
        assertTrue(text.startsWith("# imported from res-net.onnx by cnnc import\nmodel ResNet\ninput 28x28x1\n"), text);
        CheckCommandTest.Run check = CheckCommandTest.run("check", cnn.toString());
        assertEquals(0, check.exit(), check.err());
        assertTrue(check.out().contains("Total params: 7,350"), check.out());
        assertEquals(Safetensors.read(f.weights).get("conv2.weight").getValue().length, Safetensors.read(weights).get("conv2.weight").getValue().length);
    }

    @Test
    void notAnOnnxFileIsOneError(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.onnx");
        Files.write(bad, new byte[] {(byte) 0xff, 0x13, 0x00, 0x42});
        CheckCommandTest.Run r = CheckCommandTest.run("import", bad.toString(), "-o", dir.resolve("m.cnn").toString());
        assertEquals(Main.FILE_ERRORS, r.exit());
        assertTrue(r.err().startsWith("cnnc: error: " + bad + ": not an ONNX model"), r.err());
        assertTrue(!Files.exists(dir.resolve("m.cnn")));
    }
}
