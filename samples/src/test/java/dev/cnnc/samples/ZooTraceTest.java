package dev.cnnc.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.compiler.model.Shape;
import dev.cnnc.compiler.report.Summary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each zoo sample is the torchvision network it is named after, asked of torchvision 0.14 at
 * test time (tools/zoo_trace.py): trainable parameters and batchnorm statistics exactly, the
 * output, the MACs within 1 %, and the output shape of every conv, dense and batchnorm equal to
 * what forward hooks saw torch compute. The shapes are compared as lists sorted by kind and shape:
 * torch computes a projection shortcut before its residual's main path (RegNet's
 * {@code proj(x) + f(x)}), cnnc lists the main path first.
 */
class ZooTraceTest {
    static Map<?, ?> torch;

    @BeforeAll
    static void askTorchvision() throws Exception {
        torch = SampleParamsTest.askTorch("zoo_trace.py");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "regnet_x_400mf", "mnasnet0_5", "shufflenet_v2_x1_0",
        "resnet50", "densenet121", "squeezenet1_0", "squeezenet1_1", "googlenet", "inception_v3"})
    void zooSampleIsTorchvisionsNetwork(String name) throws Exception {
        String file = "zoo/" + name + ".cnn";
        CheckResult r = Frontend.check(SourceFiles.read(Path.of(file)));
        assertTrue(r.ok(), () -> file + ": " + r.diagnostics());
        Map<?, ?> t = (Map<?, ?>) torch.get(file);
        assertTrue(t != null, "tools/zoo_trace.py has no network for " + file);
        assertEquals(number(t.get("trainable")), r.model().trainableParams(), file + ": trainable");
        assertEquals(number(t.get("buffers")), r.model().nonTrainableParams(), file + ": batchnorm statistics");
        assertEquals(number(((List<?>) t.get("output")).get(0)), r.model().output().elements(), file + ": outputs");
        long macs = Summary.macs(r.model());
        long torchMacs = number(t.get("macs"));
        assertTrue(Math.abs(macs - torchMacs) <= torchMacs / 100, file + ": MACs " + macs + ", torch counts " + torchMacs);

        List<String> ours = new ArrayList<>();
        for (CheckedNode.Layer l : r.model().layers()) {
            String kind = l.spec() instanceof Conv ? "conv" : l.spec() instanceof Dense ? "dense" : l.spec() instanceof BatchNorm ? "batchnorm" : null;
            if (kind != null) {
                ours.add(kind + " " + dims(l.output()));
            }
        }
        List<String> theirs = new ArrayList<>();
        for (Object row : (List<?>) t.get("trace")) {
            List<?> kindAndShape = (List<?>) row;
            List<String> d = new ArrayList<>();
            for (Object v : (List<?>) kindAndShape.get(1)) {
                d.add(Long.toString(number(v)));
            }
            theirs.add(kindAndShape.get(0) + " " + String.join("x", d));
        }
        assertEquals(theirs.size(), ours.size(), file + ": conv, dense and batchnorm layers");
        ours.sort(null);
        theirs.sort(null);
        assertEquals(theirs, ours, file + ": output shapes");
    }

    private static String dims(Shape s) {
        return s.flat() ? Long.toString(s.elements()) : s.height() + "x" + s.width() + "x" + s.channels();
    }

    private static long number(Object o) {
        return ((Number) o).longValue();
    }
}
