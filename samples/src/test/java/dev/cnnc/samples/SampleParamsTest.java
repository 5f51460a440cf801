package dev.cnnc.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.runtime.json.JsonReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each sample's parameter counts and output size equal PyTorch's for the same network, asked of
 * PyTorch at test time: torchvision's own vgg16() and resnet18(), and torch.nn definitions of the
 * other samples written by hand in tools/sample_counts.py (not derived from cnnc's reading).
 * Needs Debian's python3-torch and python3-torchvision (CI installs them); fails without.
 */
class SampleParamsTest {
    static final String PYTHON = "/usr/bin/python3";
    static Map<?, ?> torch;

    @BeforeAll
    static void askPyTorch() throws Exception {
        torch = askTorch("sample_counts.py");
    }

    /** Runs tools/{@code script} with Debian's python3 and reads the JSON object its last line prints. */
    static Map<?, ?> askTorch(String script) throws Exception {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            fail(PYTHON + " is missing: apt-get install -y python3-torch python3-torchvision");
        }
        Process p = new ProcessBuilder(PYTHON, "../tools/" + script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("tools/" + script + " failed (apt-get install -y python3-torch python3-torchvision):\n" + out);
        }
        return (Map<?, ?>) JsonReader.parse(out.lines().reduce((a, b) -> b).orElse("{}"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fashion_mnist.cnn", "cifar10_simple.cnn", "dogs_vs_cats.cnn", "lenet5.cnn", "vgg16.cnn", "resnet18.cnn",
        "vgg_stage.cnn", "resnet_block.cnn", "se_resnet_block.cnn", "zoo/densenet121.cnn", "zoo/resnet50.cnn", "unet_small.cnn",
        "resnet20_cifar.cnn", "vgg_cifar.cnn"})
    void parameterCountsMatchPyTorch(String file) throws Exception {
        CheckResult r = Frontend.check(SourceFiles.read(Path.of(file)));
        assertTrue(r.ok(), () -> file + ": " + r.diagnostics());
        List<?> expected = (List<?>) torch.get(file);
        assertTrue(expected != null, "tools/sample_counts.py has no network for " + file);
        assertEquals(((Number) expected.get(0)).longValue(), r.model().trainableParams(), file + ": trainable");
        assertEquals(((Number) expected.get(1)).longValue(), r.model().nonTrainableParams(), file + ": non-trainable (running statistics)");
        long outputs = 1;
        for (Object d : (List<?>) expected.get(2)) {
            outputs *= ((Number) d).longValue(); // a segmentation model's output is [K, H, W]
        }
        assertEquals(outputs, r.model().output().elements(), file + ": outputs");
    }

    /** The MACs figure papers and torchvision quote: ResNet-50 is "4.09 GFLOPS" (torchvision's model table). */
    @org.junit.jupiter.api.Test
    void resnet50ReadsTheMacsPapersQuote() throws Exception {
        CheckResult r = Frontend.check(SourceFiles.read(Path.of("zoo/resnet50.cnn")));
        assertTrue(dev.cnnc.compiler.report.Summary.render(r.model()).contains("(4.09 G, the figure papers and torchvision call GFLOPS)"));
    }
}
