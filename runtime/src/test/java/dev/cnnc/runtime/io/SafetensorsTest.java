package dev.cnnc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @Test
    void roundTripsWithTheDocumentedLayout(@TempDir Path dir) throws Exception {
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        data.put("conv1.weight", new float[] {1.5f, -2f, 3.25f, 4f, 5f, 6f});
        shapes.put("conv1.weight", new int[] {1, 1, 2, 3});
        data.put("conv1.bias", new float[] {-0.5f});
        shapes.put("conv1.bias", new int[] {1});
        Path file = dir.resolve("w.safetensors");
        Safetensors.write(file, data, shapes);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, "data starts 8-byte aligned");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}"), header);
        assertEquals(1.5f, ByteBuffer.wrap(bytes, (int) (8 + headerLength), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
        var back = Safetensors.read(file);
        assertArrayEquals(new int[] {1, 1, 2, 3}, back.get("conv1.weight").getKey());
        assertArrayEquals(data.get("conv1.weight"), back.get("conv1.weight").getValue());
        assertArrayEquals(data.get("conv1.bias"), back.get("conv1.bias").getValue());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void corruptFilesAreNamedNotThrown(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.safetensors");
        Safetensors.write(good, Map.of("a", new float[] {1, 2}), Map.of("a", new int[] {2}));
        byte[] bytes = Files.readAllBytes(good);
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("empty", new byte[0]);
        cases.put("truncated", java.util.Arrays.copyOf(bytes, bytes.length - 3));
        byte[] hugeHeader = bytes.clone();
        hugeHeader[7] = 0x7f;
        cases.put("header length", hugeHeader);
        byte[] badJson = bytes.clone();
        badJson[9] = '!';
        cases.put("json", badJson);
        for (var c : cases.entrySet()) {
            Path f = dir.resolve(c.getKey());
            Files.write(f, c.getValue());
            Safetensors.BadFile e = assertThrows(Safetensors.BadFile.class, () -> Safetensors.read(f), c.getKey());
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
    }
}
