package dev.cnnc.compiler.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.diag.DiagnosticRenderer;
import dev.cnnc.compiler.diag.SourceFile;
import dev.cnnc.compiler.model.CheckedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small models with random shapes that exercise every layer kind and every fusion, for the backend tests. */
final class RandomModels {
    private RandomModels() {
    }

    static List<String> bodies(Random r) {
        List<String> out = new ArrayList<>();
        for (int rep = 0; rep < 2; rep++) {
            String in = "input " + (5 + r.nextInt(6)) + "x" + (5 + r.nextInt(6)) + "x" + (1 + r.nextInt(3)) + "\n";
            int kh = 1 + r.nextInt(3);
            int kw = 1 + r.nextInt(3);
            out.add(in + "conv " + (1 + r.nextInt(5)) + " " + kh + "x" + kw + " stride " + (1 + r.nextInt(2)) + "x" + (1 + r.nextInt(2))
                    + " pad " + r.nextInt(kh) + "x" + r.nextInt(kw) + (r.nextBoolean() ? " nobias" : ""));
            out.add(in + "conv " + (2 + r.nextInt(4)) + " 3x3 pad same; relu");
            out.add(in + "conv " + (2 + r.nextInt(4)) + " 3x3 pad 1; maxpool 2; relu");
            out.add(in + "conv " + (2 + r.nextInt(4)) + " 2x2; tanh; avgpool 2 stride 1 pad 1");
            out.add(in + "conv 3 3x3 pad same; leakyrelu 0.1; minpool 3 stride 2 pad 1; sigmoid");
            out.add(in + "conv 3 3x3 pad same nobias; relu; maxpool 2 stride 1; leakyrelu");
            out.add(in + "maxpool 2 stride 1 pad 1");
            out.add(in + "avgpool 3 stride 2 pad 1");
            out.add(in + "minpool 2");
            out.add(in + "globalavgpool; flatten");
            out.add(in + "globalmaxpool");
            out.add(in + "flatten; dense " + (1 + r.nextInt(7)) + (r.nextBoolean() ? " nobias" : ""));
            out.add(in + "flatten; dense 6; relu; dense 4; sigmoid; dense 3; tanh; fc 2; leakyrelu 0.2");
            out.add(in + "batchnorm momentum 0.3 eps 0.001");
            out.add(in + "flatten; dense 5; batchnorm; relu");
            out.add(in + "dropout 0.3");
            out.add(in + "flatten; dropout 0.5; dense 3");
            out.add(in + "flatten; dense 6; softmax");
            out.add(in + "flatten; dense 6; softmax; dense 3");
            out.add(in + "relu; sigmoid; tanh; leakyrelu 0.3");
            out.add(in + "residual { conv 3 3x3 pad same; relu; conv 3 3x3 pad same } shortcut { conv 3 1x1 }; relu");
            out.add(in + "conv 2 1x1; residual { conv 2 3x3 pad same; batchnorm; relu }; residual { }; flatten; dense 3");
            out.add(in + "residual { conv 4 3x3 stride 2 pad 1 nobias; batchnorm; relu } shortcut { conv 4 1x1 stride 2 nobias; batchnorm }");
            out.add("input 12\nresidual { dense 12; tanh }; dense 4; residual { } shortcut { dense 4 }");
        }
        out.add("input 10x10x1\nconv 4 3x3 pad same; maxpool 2; relu; conv 6 3x3 pad same; maxpool 2; relu; flatten; dense 8; relu; "
                + "dropout 0.25; dense 3; softmax");
        // windows that tile the plane with rows and columns left over, an activation before the pool
        out.add("input 7x9x2\nconv 3 3x3 pad same; tanh; maxpool 2; sigmoid");
        out.add("input 8x7x1\nconv 2 3x3 pad 1 nobias; relu; minpool 3");
        // windows that tile the plane exactly (OpenCL routes each window's gradient from one item)
        out.add("input 8x6x2\nconv 3 3x3 pad same; tanh; avgpool 2; relu");
        out.add("input 6x6x2\nconv 3 3x3 pad same; leakyrelu 0.1; minpool 2; tanh");
        // 3x3 stride-1 convs of 8 or more channels (the Java backend's Winograd path): odd sizes that
        // leave half tiles, valid and wider padding, pools and activations after it, no bias, residuals
        out.add("input 7x9x8\nconv 5 3x3 pad same; tanh; maxpool 2; relu");
        out.add("input 6x6x3\nconv 8 3x3 pad same; relu; conv 6 3x3 pad 1; maxpool 2; relu; flatten; dense 4");
        out.add("input 7x5x9\nconv 4 3x3 nobias; sigmoid");
        out.add("input 5x6x10\nconv 3 3x3 pad 2; avgpool 2 stride 1; leakyrelu 0.1");
        out.add("input 6x6x8\nresidual { conv 8 3x3 pad same nobias; batchnorm; relu; conv 8 3x3 pad same }; relu; minpool 2");
        // the activation after a residual's add fused into it: relu6 and elu too, and a fork of the fused output
        out.add("input 5x5x3\nresidual { conv 3 3x3 pad same; batchnorm }; relu6; residual { conv 3 3x3 pad same }; elu; flatten; dense 2");
        // 2x2 max pools that tile the plane exactly, relu or nothing around them (the window-major
        // epilogue): relu before, none and no bias, strided and padded convs, Winograd with both relus
        out.add("input 8x6x2\nconv 3 3x3 pad same; relu; maxpool 2");
        out.add("input 6x8x1\nconv 4 3x3 pad same nobias; maxpool 2; flatten; dense 3");
        out.add("input 11x7x2\nconv 3 3x2 stride 2x1 pad 1x0; maxpool 2; relu");
        out.add("input 8x8x8\nconv 6 3x3 pad same; relu; maxpool 2; relu; conv 9 3x3 pad same; maxpool 2");
        out.add("input 6x9x3\navgpool 2x3");
        // joins: concat (Inception-like, an identity path, a DenseNet layer), sums of three paths, SE gates, flat joins
        out.add("input 7x6x3\nconcat { conv 2 1x1 } { conv 2 1x1; relu; conv 3 3x3 pad same } { } { maxpool 3 stride 1 pad 1; conv 2 1x1 }; relu");
        out.add("input 6x6x4\nrepeat 2 { concat { } { batchnorm; relu; conv 3 3x3 pad 1 nobias } }; maxpool 2");
        out.add("input 6x5x3\nadd { } { conv 3 3x3 pad same; tanh } { batchnorm }; relu; flatten; dense 4");
        out.add("input 8x8x8\nmultiply { conv 8 3x3 pad same } { globalavgpool; conv 2 1x1; relu; conv 8 1x1; sigmoid }; relu; maxpool 2");
        out.add("input 5x5x2\nmultiply { globalavgpool; conv 2 1x1; sigmoid } { }; flatten; concat { dense 3 } { } { dense 2; tanh }");
        // torch's mobile activations: fused where the output gives the derivative, on their own where not
        out.add("input 6x5x2\nconv 3 3x3 pad same; relu6; conv 3 3x3 pad same; hardswish; conv 3 1x1; silu; maxpool 2; hardsigmoid");
        out.add("input 7\ndense 5; elu 0.5; dense 4; swish; dense 4; relu6; dense 3; elu");
        out.add("input 5x3x2\nupsample 2; conv 2 3x3 pad same; upsample 3 bilinear; tanh; maxpool 2");
        out.add("input 6x4x3\nconcat { } { maxpool 2; conv 2 3x3 pad same; relu; upsample 2 bilinear }; conv 2 1x1");
        out.add("input 9\nadd { } { dense 9; tanh }; multiply { } { dense 9; sigmoid }; concat { } { }; dense 3");
        out.add("input 4x6x2\nmaxpool 2x3; sigmoid");
        // grouped, depthwise (multiplier 1 and 2), strided and dilated convs, with fused activations and batchnorm + relu6
        out.add("input 9x8x4\nconv 4 3x3 pad 1 groups 4 nobias; batchnorm; relu6; conv 8 3x3 stride 2 pad 1 groups 4; relu");
        out.add("input 8x9x6\nconv 6 3x2 stride 2x1 pad 2x1 groups 3 dilation 2x1; tanh; conv 4 5x5 pad same groups 2 dilation 2");
        out.add("input 7x7x3\nconv 6 3x3 pad 1 groups 3; sigmoid; conv 6 1x1; batchnorm; relu; conv 3 2x2 stride 2 groups 3 nobias");
        out.add("input 4x4x8\nconv 8 3x3 pad 1 groups 8; conv 8 3x3 pad 2 dilation 2 groups 8 nobias; flatten; dense 3");
        // pointwise convs (no im2col), a ShuffleNet v2 unit, gelu, prelu and stochastic depth
        out.add("input 6x5x4\nconv 6 1x1; relu; conv 4 1x1 nobias; residual { conv 4 1x1; relu6 }; flatten; dense 2");
        // transposed convs: strides, padding, output padding, groups, dilation, no bias
        out.add("input 4x5x4\nconvtranspose 4 3x3 stride 2 pad 1 outpad 1; relu; convtranspose 2 2x2 stride 2 groups 2 nobias; conv 2 3x3");
        out.add("input 5x3x2\nconvtranspose 3 3x2 pad 1x0 dilation 2x1; tanh; convtranspose 3 1x1 stride 2x1; flatten; dense 2");
        // a pointwise conv whose example is more than one chunk of columns (2,160 > 2,048), a batchnorm folded in inference
        out.add("input 48x45x3\nconv 5 1x1; relu; conv 4 1x1 nobias; batchnorm; relu6; globalavgpool; flatten; dense 2");
        out.add("input 6x6x8\nconcat { split 2 take 0 } { split 2 take 1; conv 4 1x1; relu; conv 4 3x3 pad 1 groups 4; conv 4 1x1 }; shuffle 2");
        out.add("input 5x5x3\nconv 4 3x3 pad same; gelu; prelu 4; conv 4 3x3 pad same; gelu tanh; prelu; flatten; dense 5; prelu 5");
        out.add("input 6x6x4\nresidual { conv 4 3x3 pad same; stochasticdepth 0.3 }; flatten; dense 6; stochasticdepth 0.5; dense 3");
        // torch's ceil_mode (windows clipped past the padding; an average divides by what is left) and
        // padding that differs per side, for pools and for convs (padded first, then a conv without)
        out.add("input 7x9x2\nconv 3 3x3 pad same; relu; maxpool 2 ceil; avgpool 3 stride 2 pad 1 ceil; flatten; dense 3");
        out.add("input 8x7x3\nconv 4 3x3 stride 2 pad 0 1 1 0; tanh; maxpool 2 stride 1 pad 0 1 0 1; avgpool 2 pad 1 0 0 1 ceil");
        out.add("input 6x7x4\nconv 4 3x3 pad 1 2 0 1 groups 4; relu6; minpool 3 stride 2 ceil; conv 2 1x1 pad 0 1 0 0");
        out.add("input 9x8x2\navgpool 3 stride 2 ceil; conv 3 2x2 pad 0 1 0 1 nobias; maxpool 3 stride 2 pad 1 ceil; relu");
        return out;
    }

    static CheckedModel check(String name, String body) {
        String text = "model " + name + "\n" + body + "\n";
        CheckResult r = Frontend.check(new SourceFile(name + ".cnn", text));
        assertTrue(r.ok(), () -> text + r.diagnostics().stream().map(d -> DiagnosticRenderer.render(d, r.source())).toList());
        return r.model();
    }
}
