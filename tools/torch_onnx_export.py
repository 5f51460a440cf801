#!/usr/bin/python3
"""A torchvision model, randomly initialised, exported as torch.onnx.export writes it, with an input and torch's output.

  torch_onnx_export.py --model resnet18 --out DIR [--opset 13] [--size 224] [--seed 0]
      DIR/model.onnx, DIR/input.safetensors ("input", [1,3,S,S]), DIR/output.safetensors ("output": eval-mode logits)

Batchnorm running statistics and affine parameters are drawn away from 0 and 1 so that inference
semantics show in the outputs. For the import cross-check (cnnc import, then cnnc's inference).
"""
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import write_safetensors  # noqa: E402


def build(name):
    m = torchvision.models
    if name == "googlenet":
        return m.googlenet(weights=None, aux_logits=False, init_weights=True)
    if name == "inception_v3":
        return m.inception_v3(weights=None, aux_logits=False, init_weights=True)
    return getattr(m, name)(weights=None)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    net = build(a.model)
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
    net.eval()
    os.makedirs(a.out, exist_ok=True)
    x = torch.rand(1, 3, a.size, a.size) * 2 - 1
    with torch.no_grad():
        y = net(x)
    torch.onnx.export(net, x, os.path.join(a.out, "model.onnx"), opset_version=a.opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    write_safetensors(os.path.join(a.out, "input.safetensors"), {"input": x})
    write_safetensors(os.path.join(a.out, "output.safetensors"), {"output": y})


if __name__ == "__main__":
    main()
