package dev.cnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onnx.Onnx.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cnnc export}: the file it writes (names, shapes, opset), and refusals before anything is written. (ONNX Runtime checks the numbers in cnnc-onnx.) */
class ExportCommandTest {
    @Test
    void writesTheModelWithItsNamesAndAFreeBatch(@TempDir Path dir) throws Exception {
        VizFixtures f = new VizFixtures("residual", dir);
        Path onnx = dir.resolve("res.onnx");
        CheckCommandTest.Run r = CheckCommandTest.run("export", f.cnn.toString(), "--weights", f.weights.toString(), "-o", onnx.toString(), "--opset", "14");
        assertEquals(0, r.exit(), r.err());
        assertEquals(onnx + " (opset 14, " + String.format("%,d", Files.size(onnx)) + " bytes; input 'input' [batch, 1, 28, 28] normalised,"
                + " output 'output' [batch, 10])\n", r.out());
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(onnx));
        assertEquals(14, m.getOpsetImport(0).getVersion());
        assertEquals("input", m.getGraph().getInput(0).getName());
        assertEquals("batch", m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        assertEquals("output", m.getGraph().getOutput(0).getName());
        List<String> names = m.getGraph().getInitializerList().stream().map(t -> t.getName()).toList();
        assertTrue(names.containsAll(List.of("conv1.weight", "conv1.bias", "batchnorm1.running_var", "dense1.weight")), names.toString());
        assertTrue(m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("BatchNormalization")));
        assertFalse(m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("Dropout")), "dropout is the identity");
    }

    @Test
    void refusesWhatItCannotWrite(@TempDir Path dir) throws Exception {
        VizFixtures f = new VizFixtures("residual", dir);
        Path onnx = dir.resolve("x.onnx");
        CheckCommandTest.Run r = CheckCommandTest.run("export", f.cnn.toString(), "--weights", f.weights.toString(), "-o", onnx.toString(), "--opset", "9");
        assertEquals(Main.USAGE, r.exit());
        assertEquals("cnnc: error: --opset 9: cnnc writes opsets 13 to 17\n", r.err());
        Path other = dir.resolve("other.cnn");
        Files.writeString(other, "model Other\ninput 28x28x1\nconv 4 3x3\nflatten\ndense 10\n");
        r = CheckCommandTest.run("export", other.toString(), "--weights", f.weights.toString(), "-o", onnx.toString());
        assertEquals(Main.FILE_ERRORS, r.exit());
        assertTrue(r.err().startsWith("cnnc: error: " + f.weights + ": conv1.weight is [8, 1, 3, 3], the model's is [4, 1, 3, 3]"), r.err());
        assertTrue(r.err().endsWith("are these the weights of Other?\n"), r.err());
        assertFalse(Files.exists(onnx), "nothing written");
    }
}
