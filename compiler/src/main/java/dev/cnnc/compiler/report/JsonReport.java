package dev.cnnc.compiler.report;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.diag.Diagnostic;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code cnnc check --json}: the same facts as the summary (or the diagnostics) as JSON. */
public final class JsonReport {
    private JsonReport() {
    }

    public static Map<String, Object> of(CheckResult result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", result.source().name());
        m.put("ok", result.ok());
        CheckedModel model = result.model();
        if (model != null) {
            m.put("model", model.name());
            m.put("input", Summary.dims(model.input()));
            m.put("output", Summary.dims(model.output()));
            m.put("layers", nodes(model.nodes()));
            m.put("flops", model.flops());
            m.put("macs", Summary.macs(model));
            m.put("activationBytesPerExample", model.activationElements() * 4);
            m.put("totalParams", model.totalParams());
            m.put("trainableParams", model.trainableParams());
            m.put("nonTrainableParams", model.nonTrainableParams());
        }
        List<Object> diagnostics = new ArrayList<>();
        for (Diagnostic d : result.diagnostics()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("file", d.span().file());
            j.put("line", d.span().line());
            j.put("column", d.span().column());
            j.put("severity", d.severity().label());
            j.put("code", d.code());
            j.put("message", d.message());
            j.put("notes", d.notes());
            j.put("hint", d.hint());
            diagnostics.add(j);
        }
        m.put("diagnostics", diagnostics);
        return m;
    }

    private static List<Object> nodes(List<CheckedNode> nodes) {
        List<Object> out = new ArrayList<>();
        for (CheckedNode n : nodes) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("name", n.name());
            j.put("line", n.span().line());
            if (n instanceof CheckedNode.Layer l) {
                j.put("kind", l.spec().kind());
                j.put("layer", l.spec().describe());
                j.put("output", Summary.dims(l.output()));
                j.put("params", l.trainableParams() + l.nonTrainableParams());
                j.put("trainableParams", l.trainableParams());
                j.put("nonTrainableParams", l.nonTrainableParams());
                j.put("flops", l.flops());
                j.put("macs", l.spec().macs(l.input(), l.output()));
            } else if (n instanceof CheckedNode.Join join) {
                j.put("kind", join.kind().word());
                j.put("output", Summary.dims(join.output()));
                j.put("paths", join.paths().stream().map(JsonReport::nodes).toList());
                j.put("flops", join.flops());
            } else if (n instanceof CheckedNode.Residual r) {
                j.put("kind", "residual");
                j.put("output", Summary.dims(r.output()));
                j.put("main", nodes(r.main()));
                j.put("shortcut", nodes(r.shortcut()));
                j.put("flops", r.addFlops());
            }
            out.add(j);
        }
        return out;
    }
}
