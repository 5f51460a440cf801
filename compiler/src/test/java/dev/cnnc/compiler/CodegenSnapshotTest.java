package dev.cnnc.compiler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.emit.JavaBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** golden/codegen/x.cnn -> X.java, the generated source in full (rewrite with -Dgolden.update=true and read the diff). */
class CodegenSnapshotTest {
    @Test
    void generatedJavaIsTheSnapshot() throws Exception {
        for (Path cnn : Golden.cnnFiles("codegen")) {
            String name = Golden.ROOT.relativize(cnn).toString().replace('\\', '/');
            CheckResult r = Frontend.check(new SourceFile(name, Files.readString(cnn, StandardCharsets.UTF_8)));
            assertTrue(r.ok(), GoldenTest.render(r));
            String java = JavaBackend.source(r.model(), "cnnc.generated", JavaBackend.Options.DEFAULT).toString();
            Golden.compare(cnn.resolveSibling(r.model().name() + ".java.txt"), java);
        }
    }
}
