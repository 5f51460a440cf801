package dev.cnnc.runtime.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** Writes IDX files for tests. */
public final class IdxTestSupport {
    private IdxTestSupport() {
    }

    public static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(body);
        return bytes.toByteArray();
    }
}
