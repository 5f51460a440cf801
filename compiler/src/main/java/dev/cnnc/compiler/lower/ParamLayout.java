package dev.cnnc.compiler.lower;

import dev.cnnc.compiler.layers.BatchNorm;
import dev.cnnc.compiler.layers.Conv;
import dev.cnnc.compiler.layers.Dense;
import dev.cnnc.compiler.model.CheckedModel;
import dev.cnnc.compiler.model.CheckedNode;
import dev.cnnc.runtime.TensorInfo.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each parameter lives: trainable tensors one after another in one flat array, state
 * (batchnorm running statistics) in another, in order of appearance, with PyTorch's names and
 * shapes. The emitter and the reference implementation both use it, so they agree by design.
 */
public record ParamLayout(List<Entry> entries, int parameterCount, int stateCount) {
    public record Entry(String name, int[] shape, boolean trainable, int offset, Role role, int fanIn, String layer) {
        public int size() {
            int s = 1;
            for (int d : shape) {
                s *= d;
            }
            return s;
        }
    }

    public ParamLayout {
        entries = List.copyOf(entries);
    }

    public static ParamLayout of(CheckedModel model) {
        List<Entry> entries = new ArrayList<>();
        int params = 0;
        int state = 0;
        for (CheckedNode.Layer l : model.layers()) {
            String n = l.name();
            if (l.spec() instanceof Conv c) {
                int cin = c.channelsPerGroup(l.input().channels());
                int fanIn = cin * c.kernelHeight() * c.kernelWidth();
                entries.add(new Entry(n + ".weight", new int[] {c.filters(), cin, c.kernelHeight(), c.kernelWidth()}, true, params,
                        Role.WEIGHT, fanIn, n));
                params += c.filters() * fanIn;
                if (c.bias()) {
                    entries.add(new Entry(n + ".bias", new int[] {c.filters()}, true, params, Role.BIAS, fanIn, n));
                    params += c.filters();
                }
            } else if (l.spec() instanceof Dense d) {
                int in = (int) l.input().elements();
                entries.add(new Entry(n + ".weight", new int[] {d.units(), in}, true, params, Role.WEIGHT, in, n));
                params += d.units() * in;
                if (d.bias()) {
                    entries.add(new Entry(n + ".bias", new int[] {d.units()}, true, params, Role.BIAS, in, n));
                    params += d.units();
                }
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.ConvTranspose t) {
                int cin = (int) l.input().channels();
                int per = t.filters() / t.groups();
                // torch's fan-in for its default init is weight.size(1) * kh * kw
                int fanIn = per * t.kernelHeight() * t.kernelWidth();
                entries.add(new Entry(n + ".weight", new int[] {cin, per, t.kernelHeight(), t.kernelWidth()}, true, params, Role.WEIGHT, fanIn, n));
                params += cin * fanIn;
                if (t.bias()) {
                    entries.add(new Entry(n + ".bias", new int[] {t.filters()}, true, params, Role.BIAS, fanIn, n));
                    params += t.filters();
                }
            } else if (l.spec() instanceof dev.cnnc.compiler.layers.PRelu pr) {
                int slopes = pr.slopes(l.input());
                entries.add(new Entry(n + ".weight", new int[] {slopes}, true, params, Role.SLOPE, slopes, n));
                params += slopes;
            } else if (l.spec() instanceof BatchNorm) {
                int c = (int) l.input().channels();
                entries.add(new Entry(n + ".weight", new int[] {c}, true, params, Role.NORM_WEIGHT, c, n));
                entries.add(new Entry(n + ".bias", new int[] {c}, true, params + c, Role.NORM_BIAS, c, n));
                params += 2 * c;
                entries.add(new Entry(n + ".running_mean", new int[] {c}, false, state, Role.RUNNING_MEAN, c, n));
                entries.add(new Entry(n + ".running_var", new int[] {c}, false, state + c, Role.RUNNING_VAR, c, n));
                state += 2 * c;
            }
        }
        return new ParamLayout(entries, params, state);
    }

    /** Entries of one layer by parameter: "weight", "bias", "running_mean"... */
    public Map<String, Entry> of(String layer) {
        Map<String, Entry> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.layer().equals(layer)) {
                out.put(e.name().substring(layer.length() + 1), e);
            }
        }
        return out;
    }
}
