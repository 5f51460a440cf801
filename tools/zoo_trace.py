#!/usr/bin/python3
"""What torchvision's own networks are, for the zoo samples' test: for each samples/zoo/<name>.cnn,
torchvision.models.<name>() run on one image at its input size (224x224, Inception v3's 299x299;
GoogLeNet and Inception v3 without their auxiliary heads) with forward hooks on every Conv2d, Linear and
BatchNorm2d, printing {"zoo/<name>.cnn": {"trainable": N, "buffers": N, "output": [1000],
"macs": N, "trace": [["conv", [H, W, C]], ...]}} as JSON. Shapes are HxWxC (features for a
Linear), as cnnc prints them; MACs are the convolutions' and dense layers' multiply-accumulates
(out elements x in channels per group x kernel taps; in x out features).
"""
import json

import torch
import torchvision

ZOO = ["mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "regnet_x_400mf", "mnasnet0_5", "shufflenet_v2_x1_0",
       "resnet50", "densenet121", "squeezenet1_0", "squeezenet1_1", "googlenet", "inception_v3"]
# cnnc has no auxiliary classifier heads: the zoo files are these networks without them
OPTIONS = {"googlenet": {"aux_logits": False, "init_weights": False}, "inception_v3": {"aux_logits": False, "init_weights": False}}
SIZE = {"inception_v3": 299}


def trace(name):
    net = getattr(torchvision.models, name)(**OPTIONS.get(name, {}))
    net.eval()
    rows, macs = [], [0]

    def hook(module, inputs, out):
        shape = list(out.shape[1:])
        shape = shape[1:] + shape[:1] if len(shape) == 3 else shape
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            macs[0] += out.numel() * (module.in_channels // module.groups) * kh * kw
            rows.append(["conv", shape])
        elif isinstance(module, torch.nn.Linear):
            macs[0] += module.in_features * module.out_features
            rows.append(["dense", shape])
        else:
            rows.append(["batchnorm", shape])

    for m in net.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.BatchNorm2d)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        size = SIZE.get(name, 224)
        y = net(torch.zeros(1, 3, size, size))
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
    return {"trainable": trainable, "buffers": buffers, "output": list(y.shape[1:]), "macs": macs[0], "trace": rows}


def main():
    print(json.dumps({"zoo/%s.cnn" % n: trace(n) for n in ZOO}))


if __name__ == "__main__":
    main()
