package dev.cnnc.runtime.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {
    @Test
    void readsNestedValues() throws Exception {
        Object v = JsonReader.parse(" {\"a\": [1, -2.5, 3e2, true, false, null], \"b\": {\"c\": \"x\\n\\u0041\"}} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(Arrays.asList(1L, -2.5, 300.0, true, false, null), m.get("a"));
        assertEquals(Map.of("c", "x\nA"), m.get("b"));
    }

    @Test
    void keepsKeyOrderAndLargeIntegers() throws Exception {
        Map<?, ?> m = (Map<?, ?>) JsonReader.parse("{\"z\":1,\"a\":123456789012345678}");
        assertEquals(List.of("z", "a"), List.copyOf(m.keySet()));
        assertEquals(123456789012345678L, m.get("a"));
    }

    @Test
    void refusesMalformedInput() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"abc", "{\"a\":1,\"a\":2}", "[1] x", "tru",
                "\"\\q\"", "[".repeat(10_000))) {
            assertThrows(JsonReader.MalformedJson.class, () -> JsonReader.parse(bad), bad.length() > 20 ? "deep" : bad);
        }
    }
}
