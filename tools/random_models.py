#!/usr/bin/python3
"""Random models for the PyTorch cross-check, built twice from one random description.

Each model is drawn (seeded) from every layer kind and option of the .cnn language and every
train setting that changes the numbers, then written two ways that share nothing but the
description: as .cnn text for cnnc, and as a torch.nn network built here, from the language's
definitions in docs/LANGUAGE.md (output sizes, `pad same`, default pool strides, min pooling,
flatten order, layer naming, the softmax folded into cross-entropy, L1, schedules per epoch).
Nothing here reads cnnc's own interpretation of a model (its checker or TorchSpec).

  random_models.py generate --seed S --count N --out DIR
      DIR/NAME/model.cnn, init.safetensors, data/ (IDX), and spec.json (this script's own)
  random_models.py train --dir DIR/NAME --masks MASKS.safetensors --out OUT.safetensors
      trains the torch network as `cnnc train --no-shuffle --steps` does, using the dropout
      masks cnnc drew (one tensor per step and dropout layer); writes every tensor
  random_models.py train-all --root DIR --backends java,opencl
      the same for every model folder under DIR with masks-BACKEND.safetensors in it
"""
import argparse
import json
import math
import os
import random
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import read_idx, read_safetensors, write_safetensors  # noqa: E402  (file formats only)

STEPS = 5
LOSSES = ["cross_entropy", "nll", "hinge", "mse", "mae", "huber"]


# ---------------------------------------------------------------- the random description

class Shape:
    """C,H,W for images (spatial) or F features (flat), as the language defines them."""

    def __init__(self, c, h=None, w=None):
        self.c, self.h, self.w = c, h, w

    @property
    def flat(self):
        return self.h is None

    def elements(self):
        return self.c if self.flat else self.c * self.h * self.w

    def __eq__(self, o):
        return (self.c, self.h, self.w) == (o.c, o.h, o.w)


def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def window_count(n, k, s, lead, trail, ceil):
    """Windows along an axis padded lead before and trail after: floor, or ceil mode less a last
    window that would start past the input and its leading padding (the language's rule, torch's)."""
    span = n + lead + trail - k
    if span < 0:
        return 0
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= n + lead else out


class Drawer:
    def __init__(self, rng):
        self.r = rng
        self.blocks = []  # block definitions the model calls, written before it

    def conv(self, shape, allow_stride=True):
        r = self.r
        for _ in range(20):
            f = r.randint(1, 5)
            kh, kw = r.choice([(1, 1), (3, 3), (3, 3), (2, 2), (1, 3), (3, 2), (5, 5)])
            # grouped (depthwise a third of the time) and dilated convolutions
            groups = 1
            form = r.random()
            if form < 0.2 and shape.c > 1:
                groups, f = shape.c, shape.c * r.choice([1, 1, 2])
            elif form < 0.35:
                divisors = [g for g in range(2, shape.c + 1) if shape.c % g == 0]
                if divisors:
                    groups = r.choice(divisors)
                    f = groups * r.randint(1, 2)
            dh, dw = (1, 1)
            if r.random() < 0.4 and (kh > 1 or kw > 1):
                dh, dw = r.choice([(2, 2), (2, 2), (3, 3), (1, 2)])
            span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
            sh, sw = (r.choice([1, 1, 2]), r.choice([1, 1, 2])) if allow_stride else (1, 1)
            pad_kind = r.choice(["same", "valid", "explicit", "sides"])
            if pad_kind == "same" and (span_h % 2 == 0 or span_w % 2 == 0):
                pad_kind = "explicit"
            sides = None
            if pad_kind == "same":
                ph, pw = (span_h - 1) // 2, (span_w - 1) // 2
            elif pad_kind == "valid":
                ph, pw = 0, 0
            elif pad_kind == "sides":  # top bottom left right, unlike each other
                sides = [r.randint(0, kh), r.randint(0, kh), r.randint(0, kw), r.randint(0, kw)]
                ph, pw = 0, 0
            else:
                ph, pw = r.randint(0, kh - 1), r.randint(0, kw - 1)
            if sides:
                oh = window_count(shape.h, span_h, sh, sides[0], sides[1], False)
                ow = window_count(shape.w, span_w, sw, sides[2], sides[3], False)
            else:
                oh, ow = out_size(shape.h, span_h, sh, ph), out_size(shape.w, span_w, sw, pw)
            if oh >= 1 and ow >= 1:
                bias = r.random() < 0.7
                text = "conv %d %s" % (f, ("%d" % kh) if kh == kw and r.random() < 0.5 else "%dx%d" % (kh, kw))
                if (sh, sw) != (1, 1) or r.random() < 0.2:
                    text += " stride " + ("%d" % sh if sh == sw else "%dx%d" % (sh, sw))
                if pad_kind == "same":
                    text += " pad same"
                elif pad_kind == "valid":
                    text += r.choice(["", " pad valid", " pad 0"])
                elif sides:
                    text += " pad %d %d %d %d" % tuple(sides)
                else:
                    text += " pad " + ("%d" % ph if ph == pw else "%dx%d" % (ph, pw))
                if groups != 1 or r.random() < 0.1:
                    text += " groups %d" % groups
                if (dh, dw) != (1, 1):
                    text += " dilation " + ("%d" % dh if dh == dw else "%dx%d" % (dh, dw))
                if not bias:
                    text += " nobias"
                layer = {"kind": "conv", "in": shape.c, "out": f, "kernel": [kh, kw], "stride": [sh, sw], "padding": [ph, pw],
                         "bias": bias, "groups": groups, "dilation": [dh, dw]}
                if sides and (sides[0] != sides[1] or sides[2] != sides[3]):
                    layer["sides"] = sides
                elif sides:
                    layer["padding"] = [sides[0], sides[2]]
                return text, layer, Shape(f, oh, ow)
        return None

    def conv_transpose(self, shape):
        """torch.nn.ConvTranspose2d: kernel, stride, padding, output padding, groups, dilation, bias."""
        r = self.r
        for _ in range(20):
            kh, kw = r.choice([(2, 2), (3, 3), (3, 3), (1, 1), (3, 2), (4, 4)])
            sh, sw = r.choice([(1, 1), (2, 2), (2, 2), (2, 1)])
            dh, dw = (1, 1) if r.random() < 0.8 else (2, 2)
            ph, pw = r.randint(0, kh - 1) if kh > 1 else 0, r.randint(0, kw - 1) if kw > 1 else 0
            oph = r.randint(0, max(sh, dh) - 1)
            opw = r.randint(0, max(sw, dw) - 1)
            divisors = [g for g in range(1, shape.c + 1) if shape.c % g == 0]
            groups = r.choice(divisors) if r.random() < 0.3 else 1
            f = groups * r.randint(1, 2)
            oh = (shape.h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
            ow = (shape.w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
            if 1 <= oh <= 24 and 1 <= ow <= 24:
                bias = r.random() < 0.7
                text = "convtranspose %d %dx%d" % (f, kh, kw)
                if (sh, sw) != (1, 1):
                    text += " stride " + ("%d" % sh if sh == sw else "%dx%d" % (sh, sw))
                if (ph, pw) != (0, 0):
                    text += " pad %dx%d" % (ph, pw)
                if (oph, opw) != (0, 0):
                    text += " outpad %dx%d" % (oph, opw)
                if groups != 1:
                    text += " groups %d" % groups
                if (dh, dw) != (1, 1):
                    text += " dilation %d" % dh
                if not bias:
                    text += " nobias"
                return text, {"kind": "convtranspose", "in": shape.c, "out": f, "kernel": [kh, kw], "stride": [sh, sw], "padding": [ph, pw],
                              "output_padding": [oph, opw], "groups": groups, "dilation": [dh, dw], "bias": bias}, Shape(f, oh, ow)
        return None

    def pool(self, shape):
        r = self.r
        for _ in range(20):
            op = r.choice(["max", "avg", "min"])
            k = r.choice([2, 2, 3])
            stride = r.choice([None, 1, 2])
            s = k if stride is None else stride
            p = r.choice([0, 0, k // 2])
            # torch's ceil_mode, and padding that differs per side (darknet's stride-1 maxpool pads 0 1 0 1)
            ceil = r.random() < 0.35
            sides = [r.randint(0, k // 2) for _ in range(4)] if r.random() < 0.3 else [p, p, p, p]
            oh = window_count(shape.h, k, s, sides[0], sides[1], ceil)
            ow = window_count(shape.w, k, s, sides[2], sides[3], ceil)
            if oh >= 1 and ow >= 1:
                text = "%spool %d" % (op, k) + ("" if stride is None else " stride %d" % stride)
                if sides[0] == sides[1] and sides[2] == sides[3]:
                    text += " pad %s" % ("%d" % sides[0] if sides[0] == sides[2] else "%dx%d" % (sides[0], sides[2])) if any(sides) else ""
                else:
                    text += " pad %d %d %d %d" % tuple(sides)
                layer = {"kind": op + "pool", "kernel": k, "stride": s, "padding": [sides[0], sides[2]], "ceil": ceil, "out_hw": [oh, ow]}
                if sides[0] != sides[1] or sides[2] != sides[3]:
                    layer["sides"] = sides
                return text + (" ceil" if ceil else ""), layer, Shape(shape.c, oh, ow)
        return None

    def activation(self, shape):
        r = self.r
        kind = r.choice(["relu", "relu", "leakyrelu", "sigmoid", "tanh", "relu6", "relu6", "hardsigmoid", "hardswish", "silu", "swish", "elu", "gelu", "gelu", "prelu", "prelu"])
        if kind == "swish":
            return "swish", {"kind": "silu"}, shape  # the alias
        if kind == "prelu":
            channels = r.random() < 0.5
            return ("prelu %d" % shape.c if channels else r.choice(["prelu", "prelu 1"])), \
                {"kind": "prelu", "parameters": shape.c if channels else 1}, shape
        if kind == "gelu":
            tanh = r.random() < 0.5
            return ("gelu tanh" if tanh else "gelu"), {"kind": "gelu", "approximate": "tanh" if tanh else "none"}, shape
        if kind == "elu":
            alpha = r.choice([None, 0.5, 1.5])
            return ("elu" if alpha is None else "elu %g" % alpha), {"kind": "elu", "alpha": 1.0 if alpha is None else alpha}, shape
        if kind == "leakyrelu":
            if r.random() < 0.5:
                return "leakyrelu", {"kind": "leakyrelu", "slope": 0.01}, shape
            slope = r.choice([0.1, 0.2, 0.05])
            return "leakyrelu %g" % slope, {"kind": "leakyrelu", "slope": slope}, shape
        return kind, {"kind": kind}, shape

    def batchnorm(self, shape):
        r = self.r
        text, momentum, eps = "batchnorm", 0.1, 1e-5
        if r.random() < 0.6:
            momentum = r.choice([0.3, 0.5, 0.05])
            text += " momentum %g" % momentum
        if r.random() < 0.4:
            eps = r.choice([1e-3, 1e-4])
            text += " eps %g" % eps
        return text, {"kind": "batchnorm", "features": shape.c if shape.flat else shape.c, "spatial": not shape.flat,
                      "momentum": momentum, "eps": eps}, shape

    def dropout(self, shape):
        p = self.r.choice([0.2, 0.5, 0.3])
        if self.r.random() < 0.3:
            return "stochasticdepth %g" % p, {"kind": "dropout", "p": p, "rows": True}, shape  # one draw per example
        return "dropout %g" % p, {"kind": "dropout", "p": p}, shape

    def spatial_stage(self, shape, depth):
        """Layers on an image: convs, pools, activations, batchnorm, dropout, a residual, a repeat."""
        r = self.r
        texts, layers = [], []
        for _ in range(depth):
            choice = r.choice(["conv", "conv", "pool", "act", "act", "bn", "dropout", "residual", "repeat", "block", "join", "join", "upsample", "unet", "shuffle", "shuffle", "convtranspose"])
            got = None
            if choice == "conv":
                got = self.conv(shape)
            elif choice == "pool" and shape.h >= 2 and shape.w >= 2:
                got = self.pool(shape)
            elif choice == "act":
                got = self.activation(shape)
            elif choice == "bn":
                got = self.batchnorm(shape)
            elif choice == "dropout":
                got = self.dropout(shape)
            elif choice == "residual":
                got = self.residual(shape)
            elif choice == "repeat":
                got = self.repeat(shape)
            elif choice == "block":
                got = self.block(shape)
            elif choice == "join":
                got = self.spatial_join(shape)
            elif choice == "convtranspose" and shape.h * shape.w <= 64:
                got = self.conv_transpose(shape)
            elif choice == "shuffle" and shape.c % 2 == 0:
                got = self.shuffle_unit(shape)
            elif choice == "upsample" and shape.h * shape.w <= 30:
                got = self.upsample(shape)
            elif choice == "unet" and shape.h % 2 == 0 and shape.w % 2 == 0 and shape.h >= 4 and shape.w >= 4:
                got = self.unet_level(shape)
            if got is None:
                continue
            text, layer, shape = got
            texts.append(text)
            layers.extend(layer if isinstance(layer, list) else [layer])
        return texts, layers, shape

    def residual(self, shape):
        r = self.r
        f = r.choice([shape.c, shape.c, 2, 4])
        s = r.choice([1, 1, 2]) if shape.h >= 3 and shape.w >= 3 else 1
        main_t, main_l = [], []
        t, l, mid = self.conv_exact(shape, f, 3, s, 1, r.random() < 0.5)
        main_t.append(t)
        main_l.append(l)
        if r.random() < 0.5:
            t, l, mid = self.batchnorm(mid)
            main_t.append(t)
            main_l.append(l)
        t, l, mid = self.activation(mid)
        main_t.append(t)
        main_l.append(l)
        if mid == shape and r.random() < 0.8:
            return "residual { %s }" % "; ".join(main_t), [{"kind": "residual", "main": main_l, "shortcut": []}], mid
        t, l, short = self.conv_exact(shape, f, 1, s, 0, False)
        short_t, short_l = [t], [l]
        if r.random() < 0.5:
            t, l, short = self.batchnorm(short)
            short_t.append(t)
            short_l.append(l)
        assert short == mid
        return "residual { %s } shortcut { %s }" % ("; ".join(main_t), "; ".join(short_t)), \
            [{"kind": "residual", "main": main_l, "shortcut": short_l}], mid

    def conv_exact(self, shape, f, k, s, p, bias):
        oh, ow = out_size(shape.h, k, s, p), out_size(shape.w, k, s, p)
        text = "conv %d %dx%d" % (f, k, k) + (" stride %d" % s if s != 1 else "") + (" pad %d" % p if p else "") + ("" if bias else " nobias")
        return text, {"kind": "conv", "in": shape.c, "out": f, "kernel": [k, k], "stride": [s, s], "padding": [p, p], "bias": bias}, \
            Shape(f, oh, ow)

    def spatial_join(self, shape):
        """concat (Inception-like paths that keep HxW), add of same-shape paths, or multiply by an SE gate."""
        r = self.r
        kind = r.choice(["concat", "concat", "add", "multiply"])
        paths_t, paths_l, ends = [], [], []
        if kind == "concat":
            for _ in range(r.randint(2, 4)):
                form = r.choice(["id", "1x1", "3x3", "pool", "1x1-3x3"])
                f, g = r.randint(1, 4), r.randint(1, 4)
                if form == "id":
                    t, l, c = [], [], shape.c
                elif form == "1x1":
                    t, l, c = ["conv %d 1x1" % f], [self.conv_l(shape.c, f, 1)], f
                elif form == "3x3":
                    t, l, c = ["conv %d 3x3 pad same" % f], [self.conv_l(shape.c, f, 3)], f
                elif form == "pool":
                    t = ["maxpool 3 stride 1 pad 1", "conv %d 1x1" % f]
                    l, c = [{"kind": "maxpool", "kernel": 3, "stride": 1, "padding": 1, "out_hw": [shape.h, shape.w]}, self.conv_l(shape.c, f, 1)], f
                else:
                    t = ["conv %d 1x1" % f, "relu", "conv %d 3x3 pad same" % g]
                    l, c = [self.conv_l(shape.c, f, 1), {"kind": "relu"}, self.conv_l(f, g, 3)], g
                paths_t.append(t)
                paths_l.append(l)
                ends.append(c)
            out = Shape(sum(ends), shape.h, shape.w)
        elif kind == "add":
            for _ in range(r.randint(2, 3)):
                form = r.choice(["id", "conv", "bn"])
                if form == "id":
                    paths_t.append([])
                    paths_l.append([])
                elif form == "conv":
                    paths_t.append(["conv %d 3x3 pad same" % shape.c, "tanh"])
                    paths_l.append([self.conv_l(shape.c, shape.c, 3), {"kind": "tanh"}])
                else:
                    t, l, _ = self.batchnorm(shape)
                    paths_t.append([t])
                    paths_l.append([l])
            out = shape
        else:
            reduce = r.randint(1, 3)
            main_t, main_l = ([], []) if r.random() < 0.5 else (["conv %d 3x3 pad same" % shape.c], [self.conv_l(shape.c, shape.c, 3)])
            gate_t = ["globalavgpool", "conv %d 1x1" % reduce, "relu", "conv %d 1x1" % shape.c, "sigmoid"]
            gate_l = [{"kind": "globalavgpool"}, self.conv_l(shape.c, reduce, 1), {"kind": "relu"}, self.conv_l(reduce, shape.c, 1),
                      {"kind": "sigmoid"}]
            paths_t, paths_l = ([main_t, gate_t], [main_l, gate_l]) if r.random() < 0.5 else ([gate_t, main_t], [gate_l, main_l])
            out = shape
        text = kind + " " + " ".join("{ %s }" % "; ".join(t) if t else "{ }" for t in paths_t)
        return text, {"kind": "join", "join": kind, "paths": paths_l}, out

    def shuffle_unit(self, shape):
        """ShuffleNet v2's unit: half the channels as they are, half through 1x1, depthwise 3x3, 1x1; concat; shuffle."""
        h = shape.c // 2
        branch_t = ["split 2 take 1", "conv %d 1x1" % h, "relu", "conv %d 3x3 pad same groups %d nobias" % (h, h), "conv %d 1x1" % h]
        dw = {"kind": "conv", "in": h, "out": h, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "bias": False, "groups": h,
              "dilation": [1, 1]}
        branch_l = [{"kind": "split", "parts": 2, "take": 1}, self.conv_l(h, h, 1), {"kind": "relu"}, dw, self.conv_l(h, h, 1)]
        g = self.r.choice([2, 2, shape.c]) if shape.c % 2 == 0 else 2
        text = "concat { split 2 take 0 } { %s }\nshuffle %d" % ("; ".join(branch_t), g)
        return text, [{"kind": "join", "join": "concat", "paths": [[{"kind": "split", "parts": 2, "take": 0}], branch_l]},
                      {"kind": "shuffle", "groups": g}], shape

    def upsample(self, shape):
        f = self.r.choice([2, 2, 3])
        mode = self.r.choice(["nearest", "bilinear"])
        text = "upsample %d" % f + ("" if mode == "nearest" and self.r.random() < 0.5 else " " + mode)
        return text, {"kind": "upsample", "factor": f, "mode": mode}, Shape(shape.c, shape.h * f, shape.w * f)

    def unet_level(self, shape):
        """A U-Net level: concat of the input with [maxpool 2, conv, relu, upsample 2] (the way down and back up)."""
        f = self.r.randint(1, 4)
        mode = self.r.choice(["nearest", "bilinear"])
        inner_t = ["maxpool 2", "conv %d 3x3 pad same" % f, "relu", "upsample 2" + (" bilinear" if mode == "bilinear" else "")]
        inner_l = [{"kind": "maxpool", "kernel": 2, "stride": 2, "padding": 0}, self.conv_l(shape.c, f, 3), {"kind": "relu"},
                   {"kind": "upsample", "factor": 2, "mode": mode}]
        text = "concat { } { %s }" % "; ".join(inner_t)
        return text, {"kind": "join", "join": "concat", "paths": [[], inner_l]}, Shape(shape.c + f, shape.h, shape.w)

    def conv_l(self, cin, f, k):
        return {"kind": "conv", "in": cin, "out": f, "kernel": [k, k], "stride": [1, 1], "padding": [(k - 1) // 2] * 2, "bias": True}

    def block(self, shape):
        """A parameterised block, `cbr(F, K)`: conv F KxK pad same, batchnorm, relu; expanded here."""
        if not self.blocks:
            self.blocks.append("block cbr(n, k) {\n  conv n k pad same nobias\n  batchnorm\n  relu\n}")
        f, k = self.r.randint(2, 4), self.r.choice([1, 3])
        layers = [{"kind": "conv", "in": shape.c, "out": f, "kernel": [k, k], "stride": [1, 1], "padding": [(k - 1) // 2] * 2, "bias": False},
                  {"kind": "batchnorm", "features": f, "spatial": True, "momentum": 0.1, "eps": 1e-5},
                  {"kind": "relu"}]
        return "cbr(%d, %d)" % (f, k), layers, Shape(f, shape.h, shape.w)

    def repeat(self, shape):
        """`repeat N { conv F 3x3 pad same; relu }`, expanded here into N copies."""
        n = self.r.randint(1, 3)
        f = self.r.randint(2, 4)
        layers = []
        for _ in range(n):
            layers.append({"kind": "conv", "in": shape.c, "out": f, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "bias": True})
            layers.append({"kind": "relu"})
            shape = Shape(f, shape.h, shape.w)
        return "repeat %d { conv %d 3x3 pad same; relu }" % (n, f), layers, shape

    def flat_stage(self, shape, depth):
        r = self.r
        texts, layers = [], []
        for _ in range(depth):
            choice = r.choice(["dense", "dense", "act", "bn", "dropout", "residual", "join"])
            if choice == "dense":
                n = r.randint(2, 9)
                bias = r.random() < 0.8
                texts.append(r.choice(["dense", "fc"]) + " %d" % n + ("" if bias else " nobias"))
                layers.append({"kind": "dense", "in": shape.c, "out": n, "bias": bias})
                shape = Shape(n)
            elif choice == "act":
                t, l, shape = self.activation(shape)
                texts.append(t)
                layers.append(l)
            elif choice == "bn":
                t, l, shape = self.batchnorm(shape)
                texts.append(t)
                layers.append(l)
            elif choice == "dropout":
                t, l, shape = self.dropout(shape)
                texts.append(t)
                layers.append(l)
            elif choice == "join":
                kind = r.choice(["concat", "add", "multiply"])
                n = shape.c
                if kind == "concat":
                    a, b = r.randint(1, 4), r.randint(1, 3)
                    texts.append("concat { dense %d } { } { dense %d; tanh }" % (a, b))
                    paths = [[{"kind": "dense", "in": n, "out": a, "bias": True}], [],
                             [{"kind": "dense", "in": n, "out": b, "bias": True}, {"kind": "tanh"}]]
                    shape = Shape(n + a + b)
                else:
                    act = "tanh" if kind == "add" else "sigmoid"
                    texts.append("%s { } { dense %d; %s }" % (kind, n, act))
                    paths = [[], [{"kind": "dense", "in": n, "out": n, "bias": True}, {"kind": act}]]
                layers.append({"kind": "join", "join": kind, "paths": paths})
            else:
                n = r.choice([shape.c, r.randint(2, 6)])
                main = [{"kind": "dense", "in": shape.c, "out": n, "bias": True}, {"kind": "tanh"}]
                if n == shape.c:
                    texts.append("residual { dense %d; tanh }" % n)
                    layers.append({"kind": "residual", "main": main, "shortcut": []})
                else:
                    texts.append("residual { dense %d; tanh } shortcut { dense %d nobias }" % (n, n))
                    layers.append({"kind": "residual", "main": main, "shortcut": [{"kind": "dense", "in": shape.c, "out": n, "bias": False}]})
                shape = Shape(n)
        return texts, layers, shape


def draw_model(rng, name):
    d = Drawer(rng)
    if rng.random() < 0.15:
        shape = Shape(rng.randint(3, 12))
        texts, layers = ["input %d" % shape.c], []
    else:
        shape = Shape(rng.randint(1, 3), rng.randint(4, 9), rng.randint(4, 9))
        texts, layers = ["input %dx%dx%d" % (shape.h, shape.w, shape.c)], []
        t, l, shape = d.spatial_stage(shape, rng.randint(1, 5))
        texts += t
        layers += l
        if rng.random() < 0.2:
            g = rng.choice(["globalavgpool", "globalmaxpool"])
            texts.append(g)
            layers.append({"kind": g})
            shape = Shape(shape.c, 1, 1)
        texts.append("flatten")
        layers.append({"kind": "flatten"})
        shape = Shape(shape.elements())
    t, l, shape = d.flat_stage(shape, rng.randint(0, 3))
    texts += t
    layers += l
    classes = rng.randint(2, 5)
    texts.append("dense %d" % classes)
    layers.append({"kind": "dense", "in": shape.c, "out": classes, "bias": True})
    loss = rng.choice(LOSSES)
    if loss in ("cross_entropy", "nll") and rng.random() < 0.4:
        texts.append("softmax")  # folded into the loss when training: cross-entropy of the logits
        layers.append({"kind": "softmax"})
    elif loss in ("hinge", "mse") and rng.random() < 0.2:
        texts.append("softmax")  # these losses take the probabilities
        layers.append({"kind": "softmax"})
    elif loss in ("mse", "mae", "huber", "hinge") and rng.random() < 0.25:
        texts.append(rng.choice(["sigmoid", "tanh"]))
        layers.append({"kind": texts[-1]})

    train = draw_train(rng, loss, layers)
    name_layers(layers, {})
    return {"name": name, "text_layers": texts, "layers": layers, "classes": classes, "train": train, "blocks": d.blocks}


def draw_train(rng, loss, layers):
    t = {"loss": loss, "delta": 1.0}
    text = ["loss " + loss]
    if loss == "huber" and rng.random() < 0.6:
        t["delta"] = rng.choice([0.5, 2.0])
        text[-1] += " delta %g" % t["delta"]
    kind = rng.choice(["sgd", "sgd", "adam"])
    o = {"kind": kind}
    if kind == "sgd":
        o["lr"] = rng.choice([0.05, 0.1, 0.02])
        o["momentum"] = rng.choice([0.0, 0.0, 0.9, 0.5])
        o["nesterov"] = o["momentum"] > 0 and rng.random() < 0.5
        s = "optimizer sgd lr %g" % o["lr"]
        if o["momentum"] > 0:
            s += " momentum %g" % o["momentum"]
        if o["nesterov"]:
            s += " nesterov"
    else:
        o["lr"] = rng.choice([0.01, 0.003])
        o["beta1"] = rng.choice([0.9, 0.8])
        o["beta2"] = rng.choice([0.999, 0.99])
        # eps well above float32's rounding of a gradient: with eps 1e-8 Adam turns a gradient that is
        # zero up to rounding (a bias ahead of a batchnorm) into a full step of random sign, in torch's
        # float64 and cnnc's float32 alike, and the two runs part for reasons neither got wrong
        # (measured: R23/R24 of seed 2026 differed by 5e-3 with Adam, agreed to 2e-7 with SGD)
        o["eps"] = rng.choice([1e-3, 1e-4])
        s = "optimizer adam lr %g" % o["lr"]
        if o["beta1"] != 0.9 or rng.random() < 0.3:
            s += " beta1 %g" % o["beta1"]
        if o["beta2"] != 0.999:
            s += " beta2 %g" % o["beta2"]
        s += " eps %g" % o["eps"]
    text.append(s)
    t["optimizer"] = o
    t["weight_decay"] = rng.choice([0.0, 0.0, 0.01, 0.05])
    if t["weight_decay"]:
        text.append("weight_decay %g" % t["weight_decay"])
    t["l1"] = rng.choice([0.0, 0.0, 0.001, 0.01])
    if t["l1"]:
        text.append("l1 %g" % t["l1"])
    t["epochs"] = rng.randint(3, 4)
    text.append("epochs %d" % t["epochs"])
    sched = rng.choice([None, None, "step", "cosine"])
    t["schedule"] = None
    if sched == "step":
        t["schedule"] = {"kind": "step", "epochs": 1, "gamma": rng.choice([0.5, 0.1])}
        text.append("schedule step 1 gamma %g" % t["schedule"]["gamma"])
    elif sched == "cosine":
        t["schedule"] = {"kind": "cosine"}
        text.append("schedule cosine")
    t["batch"] = rng.randint(3, 8)
    # two batches an epoch, the second partial (at least 2 examples: batchnorm needs two values)
    t["count"] = t["batch"] + rng.randint(2, t["batch"])
    text.append("batch %d" % t["batch"])
    t["seed"] = rng.randint(0, 1000)
    text.append("seed %d" % t["seed"])
    t["mean"], t["std"] = None, None
    t["text"] = text
    return t


def sub_paths(l):
    """The layer lists inside a residual or a join, in the language's order."""
    if l["kind"] == "residual":
        return [l["main"], l["shortcut"]]
    if l["kind"] == "join":
        return l["paths"]
    return []


def any_kind(layers, kind):
    for l in layers:
        if l["kind"] == kind or any(any_kind(p, kind) for p in sub_paths(l)):
            return True
    return False


def name_layers(layers, counters):
    """The language's naming: by kind and order of appearance, the main path before the shortcut; fc is a dense."""
    for l in layers:
        if l["kind"] in ("residual", "join"):
            for p in sub_paths(l):
                name_layers(p, counters)
            continue
        counters[l["kind"]] = counters.get(l["kind"], 0) + 1
        l["name"] = "%s%d" % (l["kind"], counters[l["kind"]])
        if l["kind"] == "dropout":
            counters["#dropout"] = counters.get("#dropout", 0) + 1
            l["index"] = counters["#dropout"] - 1


# ---------------------------------------------------------------- files

def write_idx_ubyte(path, dims, data):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 | len(dims)))
        f.write(struct.pack(">" + "I" * len(dims), *dims))
        f.write(bytes(data))


def write_idx_float(path, dims, values):
    """IDX float (type 0x0D), big-endian like every IDX field."""
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0D00 | len(dims)))
        f.write(struct.pack(">" + "I" * len(dims), *dims))
        f.write(struct.pack(">" + "f" * len(values), *values))


def init_tensors(layers, rng, out):
    for l in layers:
        k = l["kind"]
        if k in ("residual", "join"):
            for p in sub_paths(l):
                init_tensors(p, rng, out)
        elif k == "conv":
            per_group = l["in"] // l.get("groups", 1)
            fan_in = per_group * l["kernel"][0] * l["kernel"][1]
            b = 1 / math.sqrt(fan_in)
            out[l["name"] + ".weight"] = (torch.rand(l["out"], per_group, *l["kernel"], generator=rng) * 2 - 1) * b
            if l["bias"]:
                out[l["name"] + ".bias"] = (torch.rand(l["out"], generator=rng) * 2 - 1) * b
        elif k == "dense":
            b = 1 / math.sqrt(l["in"])
            out[l["name"] + ".weight"] = (torch.rand(l["out"], l["in"], generator=rng) * 2 - 1) * b
            if l["bias"]:
                out[l["name"] + ".bias"] = (torch.rand(l["out"], generator=rng) * 2 - 1) * b
        elif k == "convtranspose":
            per = l["out"] // l["groups"]
            b = 1 / math.sqrt(per * l["kernel"][0] * l["kernel"][1])
            out[l["name"] + ".weight"] = (torch.rand(l["in"], per, *l["kernel"], generator=rng) * 2 - 1) * b
            if l["bias"]:
                out[l["name"] + ".bias"] = (torch.rand(l["out"], generator=rng) * 2 - 1) * b
        elif k == "prelu":
            out[l["name"] + ".weight"] = 0.1 + torch.rand(l["parameters"], generator=rng) * 0.3
        elif k == "batchnorm":
            n = l["features"]
            out[l["name"] + ".weight"] = 0.5 + torch.rand(n, generator=rng)
            out[l["name"] + ".bias"] = torch.rand(n, generator=rng) * 0.2 - 0.1
            out[l["name"] + ".running_mean"] = torch.rand(n, generator=rng) * 0.2 - 0.1
            out[l["name"] + ".running_var"] = 0.5 + torch.rand(n, generator=rng)


def generate(args):
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    names = []
    for i in range(args.count):
        name = "R%d" % i
        m = draw_model(rng, name)
        folder = os.path.join(args.out, name)
        os.makedirs(os.path.join(folder, "data"), exist_ok=True)
        t = m["train"]
        inp = m["text_layers"][0]
        channels = int(inp.split("x")[2]) if "x" in inp else 1
        if "x" in inp and rng.random() < 0.5:
            t["mean"] = [round(rng.uniform(0.2, 0.6), 3) for _ in range(channels)]
            t["std"] = [round(rng.uniform(0.2, 0.5), 3) for _ in range(channels)]
            t["text"].append("normalize scale 1/255 mean %s std %s" % (" ".join("%g" % v for v in t["mean"]),
                                                                        " ".join("%g" % v for v in t["std"])))
        else:
            t["text"].append("normalize scale 1/255")
        text = "".join(b + "\n\n" for b in m["blocks"]) + "model %s\n%s\n%s\ntrain {\n  %s\n}\n" % (
            name, inp, "\n".join(m["text_layers"][1:]), "\n  ".join(t["text"]))
        with open(os.path.join(folder, "model.cnn"), "w") as f:
            f.write(text)
        # data: ubyte images (H, W, C as the input says; flat inputs as 1x1xN), labels or float targets
        if "x" in inp:
            h, w, c = (int(v) for v in inp.split()[1].split("x"))
        else:
            h, w, c = 1, int(inp.split()[1]), 1  # a flat input of N features reads as 1xN images
        m["input"] = [c, h, w] if "x" in inp else [c]
        count = t["count"]
        pixels = [rng.randrange(256) for _ in range(count * h * w * c)]
        # channels-last [N,H,W,C] when C > 1, as the IDX layout cnnc documents; [N,H,W] for one channel
        dims = [count, h, w] if c == 1 else [count, h, w, c]
        write_idx_ubyte(os.path.join(folder, "data", "train-images-idx3-ubyte"), dims, pixels)
        if t["loss"] in ("mse", "mae", "huber"):
            targets = [round(rng.uniform(-1, 1), 4) for _ in range(count * m["classes"])]
            write_idx_float(os.path.join(folder, "data", "train-labels-idx1-float"), [count, m["classes"]], targets)
        else:
            write_idx_ubyte(os.path.join(folder, "data", "train-labels-idx1-ubyte"), [count], [rng.randrange(m["classes"]) for _ in range(count)])
        init = {}
        init_tensors(m["layers"], torch.Generator().manual_seed(rng.randrange(1 << 30)), init)
        write_safetensors(os.path.join(folder, "init.safetensors"), init)
        with open(os.path.join(folder, "spec.json"), "w") as f:
            json.dump(m, f, indent=1)
        names.append(name)
    print(json.dumps(names))


# ---------------------------------------------------------------- the torch network

class Net(torch.nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.mods = torch.nn.ModuleDict()
        self.masks = None
        self._build(spec["layers"])

    def _build(self, layers):
        for l in layers:
            k = l["kind"]
            if k in ("residual", "join"):
                for p in sub_paths(l):
                    self._build(p)
            elif k == "conv":
                self.mods[l["name"]] = torch.nn.Conv2d(l["in"], l["out"], tuple(l["kernel"]), tuple(l["stride"]),
                                                       (0, 0) if "sides" in l else tuple(l["padding"]),
                                                       dilation=tuple(l.get("dilation", [1, 1])), groups=l.get("groups", 1),
                                                       bias=l["bias"])
            elif k == "convtranspose":
                self.mods[l["name"]] = torch.nn.ConvTranspose2d(l["in"], l["out"], tuple(l["kernel"]), tuple(l["stride"]), tuple(l["padding"]),
                                                          tuple(l["output_padding"]), l["groups"], l["bias"], tuple(l["dilation"]))
            elif k == "prelu":
                self.mods[l["name"]] = torch.nn.PReLU(l["parameters"])
            elif k == "dense":
                self.mods[l["name"]] = torch.nn.Linear(l["in"], l["out"], bias=l["bias"])
            elif k == "batchnorm":
                cls = torch.nn.BatchNorm2d if l["spatial"] else torch.nn.BatchNorm1d
                self.mods[l["name"]] = cls(l["features"], eps=l["eps"], momentum=l["momentum"])

    def forward(self, x, fold_softmax):
        return self._run(self.spec["layers"], x, fold_softmax)

    def _run(self, layers, x, fold_softmax):
        for i, l in enumerate(layers):
            k = l["kind"]
            if k == "residual":
                x = self._run(l["main"], x, False) + self._run(l["shortcut"], x, False)
            elif k == "join":
                ys = [self._run(p, x, False) for p in l["paths"]]
                if l["join"] == "concat":
                    x = torch.cat(ys, dim=1)
                elif l["join"] == "add":
                    x = ys[0]
                    for y in ys[1:]:
                        x = x + y
                else:
                    x = ys[0]
                    for y in ys[1:]:
                        x = x * y  # a 1x1xC gate broadcasts over HxW
            elif k in ("conv", "dense", "batchnorm", "prelu", "convtranspose"):
                if "sides" in l:  # Conv2d pads both sides alike: F.pad first, as one pads unevenly in torch
                    t, b, le, r = l["sides"]
                    x = F.pad(x, (le, r, t, b))
                x = self.mods[l["name"]](x)
            elif k in ("maxpool", "minpool", "avgpool"):
                sign = -1.0 if k == "minpool" else 1.0
                x, padding = sign * x, l["padding"]
                if "sides" in l:  # max ignores padding (-inf), an average counts it (zeros)
                    t, b, le, r = l["sides"]
                    x, padding = F.pad(x, (le, r, t, b), value=0.0 if k == "avgpool" else float("-inf")), 0
                if k == "avgpool":
                    x = F.avg_pool2d(x, l["kernel"], l["stride"], padding, ceil_mode=l.get("ceil", False), count_include_pad=True)
                else:
                    x = F.max_pool2d(x, l["kernel"], l["stride"], padding, ceil_mode=l.get("ceil", False))
                if "out_hw" in l:  # torch keeps a ceil-mode window starting in the padding F.pad added; the language drops it
                    x = x[:, :, : l["out_hw"][0], : l["out_hw"][1]]
                x = sign * x
            elif k == "globalavgpool":
                x = x.mean(dim=(2, 3), keepdim=True)
            elif k == "globalmaxpool":
                x = x.amax(dim=(2, 3), keepdim=True)
            elif k == "shuffle":
                n, c, h, w = x.shape
                x = x.reshape(n, l["groups"], c // l["groups"], h, w).transpose(1, 2).reshape(n, c, h, w)
            elif k == "split":
                x = x.chunk(l["parts"], dim=1)[l["take"]]
            elif k == "flatten":
                x = x.reshape(x.shape[0], -1)  # C, H, W order
            elif k == "upsample":
                x = F.interpolate(x, scale_factor=l["factor"], mode=l["mode"], align_corners=False if l["mode"] == "bilinear" else None)
            elif k == "dropout":
                if self.training:
                    # cnnc's mask for this step, 0 or 1/(1-p) per value, in cnnc's documented layout
                    # (Network.dropoutMask): [n][F] for features, [C][n][H][W] for images
                    m = self.masks[l["index"]][: x.numel()]
                    if x.dim() == 4:
                        n, c, h, w = x.shape
                        m = m.reshape(c, n, h, w).permute(1, 0, 2, 3)
                    x = x * m.reshape(x.shape)
            elif k == "relu":
                x = torch.relu(x)
            elif k == "leakyrelu":
                x = F.leaky_relu(x, l["slope"])
            elif k == "sigmoid":
                x = torch.sigmoid(x)
            elif k == "tanh":
                x = torch.tanh(x)
            elif k == "relu6":
                x = F.relu6(x)
            elif k == "hardsigmoid":
                x = F.hardsigmoid(x)
            elif k == "hardswish":
                x = F.hardswish(x)
            elif k == "silu":
                x = F.silu(x)
            elif k == "gelu":
                x = F.gelu(x, approximate=l["approximate"])
            elif k == "elu":
                x = F.elu(x, l["alpha"])
            elif k == "softmax":
                last = i == len(layers) - 1 and layers is self.spec["layers"]
                if not (last and fold_softmax):
                    x = F.softmax(x, dim=1)
            else:
                raise ValueError(k)
        return x


def train_one(folder, masks_path, out_path, dtype=torch.float64):
    spec = json.load(open(os.path.join(folder, "spec.json")))
    t = spec["train"]
    torch.manual_seed(0)
    net = Net(spec).to(dtype)
    init = read_safetensors(os.path.join(folder, "init.safetensors"))
    for name, value in init.items():
        layer, param = name.rsplit(".", 1)
        getattr(net.mods[layer], param).data.copy_(value.to(dtype))
    images = read_idx(os.path.join(folder, "data", "train-images-idx3-ubyte")).to(dtype)
    if images.dim() == 3:
        images = images.unsqueeze(1)
    else:
        images = images.permute(0, 3, 1, 2)
    images = images / 255.0
    if t["mean"]:
        images = (images - torch.tensor(t["mean"], dtype=dtype).reshape(1, -1, 1, 1)) / \
                 torch.tensor(t["std"], dtype=dtype).reshape(1, -1, 1, 1)
    if len(spec["input"]) == 1:
        images = images.reshape(images.shape[0], -1)
    regression = t["loss"] in ("mse", "mae", "huber")
    labels_file = "train-labels-idx1-float" if regression else "train-labels-idx1-ubyte"
    labels = read_idx(os.path.join(folder, "data", labels_file))
    labels = labels.to(dtype) if regression else labels.long()
    masks = read_safetensors(masks_path) if masks_path and os.path.exists(masks_path) else {}
    check_masks(spec, masks)
    o = t["optimizer"]
    params = list(net.parameters())
    if o["kind"] == "sgd":
        opt = torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"], weight_decay=t["weight_decay"])
    else:
        opt = torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=t["weight_decay"])
    ends_in_softmax = spec["layers"][-1]["kind"] == "softmax"
    fold = ends_in_softmax and t["loss"] in ("cross_entropy", "nll")
    net.train()
    batch, count = t["batch"], images.shape[0]
    step, epoch = 0, 1
    while step < STEPS:
        lr = o["lr"]
        if t["schedule"] and t["schedule"]["kind"] == "step":
            lr = o["lr"] * t["schedule"]["gamma"] ** ((epoch - 1) // t["schedule"]["epochs"])
        elif t["schedule"] and t["schedule"]["kind"] == "cosine":
            lr = o["lr"] * (1 + math.cos(math.pi * (epoch - 1) / t["epochs"])) / 2
        for g in opt.param_groups:
            g["lr"] = lr
        for start in range(0, count, batch):
            if step >= STEPS:
                break
            x = images[start:start + batch]
            y = labels[start:start + batch]
            net.masks = [masks["step%d.dropout%d" % (step, i)].to(dtype) for i in range(dropout_count(spec["layers"]))]
            opt.zero_grad()
            out = net(x, fold)
            # a softmax folded into cross_entropy or nll leaves the logits: the loss is their cross-entropy
            loss = F.cross_entropy(out, y) if fold else loss_of(t, out, y)
            loss.backward()
            if t["l1"]:
                for p in params:
                    p.grad += t["l1"] * torch.sign(p.data)
            opt.step()
            step += 1
        epoch += 1
    result = {}
    for layer, m in net.mods.items():
        for pname, v in list(m.named_parameters()) + [(n, b) for n, b in m.named_buffers() if n != "num_batches_tracked"]:
            result[layer + "." + pname] = v.detach().float()
    write_safetensors(out_path, result)


def loss_of(t, out, y):
    loss = t["loss"]
    if loss == "cross_entropy":
        return F.cross_entropy(out, y)
    if loss == "nll":
        return F.nll_loss(out, y)
    if loss == "hinge":
        return F.multi_margin_loss(out, y)
    if loss == "mse":
        return F.mse_loss(out, y)
    if loss == "mae":
        return F.l1_loss(out, y)
    return F.huber_loss(out, y, delta=t["delta"])


def dropout_probabilities(layers, out):
    for l in layers:
        if l["kind"] in ("residual", "join"):
            for p in sub_paths(l):
                dropout_probabilities(p, out)
        elif l["kind"] == "dropout":
            out.append((l["p"], l.get("rows", False)))
    return out


def check_masks(spec, masks):
    """cnnc's masks are only taken as given once they are dropout's: every value 0 or exactly
    1/(1-p) (in float32), and the share of zeros over the run within 4 sigma of p; stochastic
    depth (rows) draws once an example, so its zeros come a whole example at a time."""
    for i, (p, rows) in enumerate(dropout_probabilities(spec["layers"], [])):
        keep = torch.tensor(1.0 / (1.0 - p), dtype=torch.float32)
        t = spec["train"]
        sizes = [min(t["batch"], t["count"] - start) for start in range(0, t["count"], t["batch"])]
        parts = []
        for s in range(STEPS):
            mask = masks["step%d.dropout%d" % (s, i)]
            n = sizes[s % len(sizes)]
            parts.append(mask[: mask.numel() // t["batch"] * n])  # the step's n examples; the rest is an earlier step's
        values = torch.cat(parts)
        wrong = ~((values == 0) | (values == keep))
        if wrong.any():
            sys.exit("%s: dropout %d (p %g) has mask values other than 0 and %r: %s" % (spec["name"], i, p, keep.item(),
                                                                                      values[wrong][:5].tolist()))
        n = values.numel()
        dropped = (values == 0).sum().item()
        if rows:
            per = masks["step0.dropout%d" % i].numel() // t["batch"]
            if dropped % per:
                sys.exit("%s: stochastic depth %d dropped %d values, not whole examples of %d" % (spec["name"], i, dropped, per))
            n, dropped = n // per, dropped // per
        sigma = math.sqrt(n * p * (1 - p))
        if abs(dropped - n * p) > 4 * sigma:
            sys.exit("%s: dropout %d (p %g) dropped %d of %d, expected %.0f +- %.0f" % (spec["name"], i, p, dropped, n, n * p,
                                                                                            4 * sigma))


def dropout_count(layers):
    n = 0
    for l in layers:
        if l["kind"] in ("residual", "join"):
            n += sum(dropout_count(p) for p in sub_paths(l))
        elif l["kind"] == "dropout":
            n += 1
    return n


def train_all(args):
    for name in sorted(os.listdir(args.root)):
        folder = os.path.join(args.root, name)
        if not os.path.exists(os.path.join(folder, "spec.json")):
            continue
        for backend in args.backends.split(","):
            masks = os.path.join(folder, "masks-%s.safetensors" % backend)
            if os.path.exists(os.path.join(folder, "cnnc-%s.safetensors" % backend)):
                train_one(folder, masks, os.path.join(folder, "torch-%s.safetensors" % backend))
                # the same in float32: how far float32 rounding alone moves this model (its noise floor)
                train_one(folder, masks, os.path.join(folder, "torch32-%s.safetensors" % backend), torch.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--out", required=True)
    t = sub.add_parser("train")
    t.add_argument("--dir", required=True)
    t.add_argument("--masks")
    t.add_argument("--out", required=True)
    a = sub.add_parser("train-all")
    a.add_argument("--root", required=True)
    a.add_argument("--backends", default="java")
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.command == "generate":
        generate(args)
    elif args.command == "train":
        train_one(args.dir, args.masks, args.out)
    else:
        train_all(args)


if __name__ == "__main__":
    main()
