package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.verify.GradCheck;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The oracle checked against calculus: for every layer kind, the reference backward agrees
 * with central finite differences of the reference forward, in double, on random data.
 */
class ReferenceGradientTest {
    static final double TOLERANCE = 1e-6;

    @Test
    void backwardMatchesFiniteDifferences() {
        Random random = new Random(7);
        List<String> bodies = RandomModels.bodies(random);
        for (int m = 0; m < bodies.size(); m++) {
            String body = bodies.get(m);
            for (GradCheck.Row row : GradCheck.finiteDifferences(RandomModels.check("G" + m, body), 3, 12, random)) {
                assertTrue(row.error() < TOLERANCE, () -> row.what() + ": backward and finite differences differ by " + row.error()
                        + " (relative) in\n" + body);
            }
        }
    }
}
