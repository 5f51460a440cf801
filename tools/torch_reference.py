#!/usr/bin/python3
"""The same network in PyTorch, for cross-checks and comparisons with cnnc.

Reads the JSON description cnnc writes for a checked model (dev.cnnc.compiler.emit.TorchSpec),
builds the equivalent torch.nn network with the same tensor names, and trains it on IDX data
from safetensors weights, writing the result as safetensors. Needs only torch (Debian's
python3-torch): safetensors and IDX files are read with the standard library.

  torch_reference.py train --spec S.json --init W.safetensors --data DIR --steps N --batch B
                           --out OUT.safetensors [--losses L.json]
  torch_reference.py bench --spec S.json --mode train|infer --batch B [--seconds S] [--threads T]
  torch_reference.py losses --input CASE.json     (each loss and its gradient, as JSON)
"""
import argparse
import gzip
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + length + begin:8 + length + end])
        out[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header = {"__metadata__": {"format": "pt", "producer": "torch_reference.py"}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().tobytes() if hasattr(t, "numpy") else bytes(t)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    rank = magic & 0xFF
    dtype = (magic >> 8) & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    body = bytearray(data[4 + 4 * rank:])
    n = 1
    for d in dims:
        n *= d
    if dtype == 0x08:
        t = torch.frombuffer(body, dtype=torch.uint8)[:n].to(torch.float32)
    else:
        # IDX floats are big-endian, like every IDX field (cnnc reads and writes them so)
        t = torch.tensor(struct.unpack(">%df" % n, bytes(body[:4 * n])), dtype=torch.float32)
    return t.reshape(dims)


def find(folder, prefix):
    names = sorted(n for n in os.listdir(folder) if n.startswith(prefix))
    if not names:
        sys.exit("no %s* file in %s" % (prefix, folder))
    return os.path.join(folder, names[0])


class Net(nn.Module):
    """Walks the layer list; parameterised layers live in a ModuleDict under their cnnc names."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.mods = nn.ModuleDict()
        self._build(spec["layers"])

    def _build(self, layers):
        for l in layers:
            k = l["kind"]
            if k == "residual":
                self._build(l["main"])
                self._build(l["shortcut"])
            elif k == "join":
                for p in l["paths"]:
                    self._build(p)
            elif k == "conv":
                self.mods[l["name"]] = nn.Conv2d(l["in"], l["out"], tuple(l["kernel"]), tuple(l["stride"]),
                                                 (0, 0) if "sides" in l else tuple(l["padding"]), dilation=tuple(l.get("dilation", [1, 1])),
                                                 groups=l.get("groups", 1), bias=l["bias"])
            elif k == "convtranspose":
                self.mods[l["name"]] = nn.ConvTranspose2d(l["in"], l["out"], tuple(l["kernel"]), tuple(l["stride"]), tuple(l["padding"]),
                                                          tuple(l["output_padding"]), l["groups"], l["bias"], tuple(l["dilation"]))
            elif k == "prelu":
                self.mods[l["name"]] = nn.PReLU(l["parameters"])
            elif k == "dense":
                self.mods[l["name"]] = nn.Linear(l["in"], l["out"], bias=l["bias"])
            elif k == "batchnorm":
                cls = nn.BatchNorm2d if l["spatial"] else nn.BatchNorm1d
                self.mods[l["name"]] = cls(l["features"], eps=l["eps"], momentum=l["momentum"])

    @staticmethod
    def _pool(l, x):
        """Window pooling; uneven padding goes through F.pad (-inf for max, zeros an average counts)."""
        k = l["kind"]
        sign = -1.0 if k == "minpool" else 1.0
        x = sign * x
        padding = l["padding"]
        if "sides" in l:
            t, b, le, r = l["sides"]
            x = F.pad(x, (le, r, t, b), value=0.0 if k == "avgpool" else float("-inf"))
            padding = [0, 0]
        ceil = l.get("ceil", False)
        if k == "avgpool":
            y = F.avg_pool2d(x, l["kernel"], l["stride"], padding, ceil_mode=ceil, count_include_pad=True)
        else:
            y = F.max_pool2d(x, l["kernel"], l["stride"], padding, ceil_mode=ceil)
        # torch keeps a ceil-mode window that starts in the bottom padding F.pad added; cnnc's rule drops it
        if "out_hw" in l:
            oh, ow = l["out_hw"]
            y = y[:, :, :oh, :ow]
        return sign * y

    def forward(self, x):
        return self._run(self.spec["layers"], x)

    def _run(self, layers, x):
        for l in layers:
            k = l["kind"]
            if k == "residual":
                x = self._run(l["main"], x) + self._run(l["shortcut"], x)
            elif k == "join":
                ys = [self._run(p, x) for p in l["paths"]]
                if l["join"] == "concat":
                    x = torch.cat(ys, dim=1)
                elif l["join"] == "add":
                    x = sum(ys[1:], ys[0])
                else:
                    x = ys[0]
                    for y in ys[1:]:
                        x = x * y  # broadcasting a 1x1xC gate
            elif k in ("conv", "dense", "batchnorm", "prelu", "convtranspose"):
                if "sides" in l:  # torch's Conv2d pads both sides alike: pad unevenly first
                    t, b, le, r = l["sides"]
                    x = F.pad(x, (le, r, t, b))
                x = self.mods[l["name"]](x)
            elif k in ("maxpool", "minpool", "avgpool"):
                x = self._pool(l, x)
            elif k == "globalavgpool":
                x = F.adaptive_avg_pool2d(x, 1)
            elif k == "globalmaxpool":
                x = F.adaptive_max_pool2d(x, 1)
            elif k == "shuffle":
                n, c, h, w = x.shape
                x = x.reshape(n, l["groups"], c // l["groups"], h, w).transpose(1, 2).reshape(n, c, h, w)
            elif k == "split":
                x = x.chunk(l["parts"], dim=1)[l["take"]]
            elif k == "flatten":
                x = torch.flatten(x, 1)
            elif k == "upsample":
                x = F.interpolate(x, scale_factor=l["factor"], mode=l["mode"], align_corners=False if l["mode"] == "bilinear" else None)
            elif k == "dropout":
                if l.get("rows") and self.training:
                    keep = (torch.rand(x.shape[0], *([1] * (x.dim() - 1))) >= l["p"]).to(x.dtype)
                    x = x * keep / (1 - l["p"])  # torchvision's StochasticDepth(p, "row")
                else:
                    x = F.dropout(x, l["p"], self.training)
            elif k == "relu":
                x = F.relu(x)
            elif k == "leakyrelu":
                x = F.leaky_relu(x, l["slope"])
            elif k == "sigmoid":
                x = torch.sigmoid(x)
            elif k == "relu6":
                x = F.relu6(x)
            elif k == "hardsigmoid":
                x = F.hardsigmoid(x)
            elif k == "hardswish":
                x = F.hardswish(x)
            elif k == "silu":
                x = F.silu(x)
            elif k == "gelu":
                x = F.gelu(x, approximate=l.get("approximate", "none"))
            elif k == "elu":
                x = F.elu(x, l["slope"])
            elif k == "tanh":
                x = torch.tanh(x)
            elif k == "softmax":
                # cnnc folds the model's last softmax into cross-entropy when training
                if not ((self.training or getattr(self, "logits", False)) and l["last"]):
                    x = F.softmax(x, dim=1)
            else:
                raise ValueError("unknown layer kind " + k)
            if getattr(self, "captured", None) is not None and l.get("name") in self.wanted:
                if x.requires_grad:
                    x.retain_grad()
                self.captured[l["name"]] = x
        return x

    def load(self, tensors):
        for name, t in tensors.items():
            layer, param = name.rsplit(".", 1)
            getattr(self.mods[layer], param).data.copy_(t)

    def tensors(self):
        out = {}
        for layer, m in self.mods.items():
            for pname, t in list(m.named_parameters()) + [(n, b) for n, b in m.named_buffers() if n != "num_batches_tracked"]:
                out[layer + "." + pname] = t
        return out


def load_data(folder, spec):
    images = read_idx(find(folder, "train-images"))
    labels = read_idx(find(folder, "train-labels")).to(torch.long)
    if images.dim() == 3:
        images = images.unsqueeze(1)
    else:
        images = images.permute(0, 3, 1, 2)
    norm = spec.get("normalize") or {"scale": 1.0, "mean": [], "std": []}
    images = images * norm["scale"]
    if norm["mean"]:
        mean = torch.tensor(norm["mean"]).reshape(1, -1, 1, 1)
        std = torch.tensor(norm["std"]).reshape(1, -1, 1, 1)
        images = (images - mean) / std
    return images.contiguous(), labels


def make_optimizer(params, o):
    if o["kind"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"], weight_decay=o["weight_decay"])
    return torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"])


def activations(args):
    """The outputs of the named layers in eval mode for one input image ([1][C][H][W] in a safetensors file)."""
    spec = json.load(open(args.spec))
    net = Net(spec)
    net.load({k: v for k, v in read_safetensors(args.weights).items() if not k.startswith("normalize.")})
    net.eval()
    net.wanted, net.captured = set(args.layers.split(",")), {}
    with torch.no_grad():
        net(read_safetensors(args.input)["input"])
    write_safetensors(args.out, net.captured)


def cam(args):
    """Grad-CAM at one layer and saliency, in eval mode and float64, for one input image and one class (the predicted one when none is given)."""
    spec = json.load(open(args.spec))
    net = Net(spec)
    net.load({k: v for k, v in read_safetensors(args.weights).items() if not k.startswith("normalize.")})
    net.double().eval()
    net.logits = True  # Grad-CAM's score is the class's logit, before a final softmax
    net.wanted, net.captured = {args.layer}, {}
    x = read_safetensors(args.input)["input"].double().requires_grad_()
    scores = net(x)
    k = args.klass if args.klass is not None else int(scores[0].argmax())
    scores[0, k].backward()
    a = net.captured[args.layer]
    alpha = a.grad.mean(dim=(2, 3), keepdim=True)
    small = F.relu((alpha * a).sum(dim=1, keepdim=True))
    big = F.interpolate(small, size=tuple(x.shape[2:]), mode="bilinear", align_corners=False)
    write_safetensors(args.out, {"cam": big[0, 0].detach().float(), "cam_" + args.layer: small[0, 0].detach().float(),
                                 "saliency": x.grad.abs().amax(dim=1)[0].float()})


def train(args):
    spec = json.load(open(args.spec))
    torch.set_num_threads(args.threads)
    net = Net(spec)
    net.load(read_safetensors(args.init))
    images, labels = load_data(args.data, spec)
    if args.double:  # float64 throughout: the run float32 rounding is measured against
        net.double()
        images = images.double()
    opt = make_optimizer(net.parameters(), spec["optimizer"])
    net.train()
    losses = []
    n = images.shape[0]
    for step in range(args.steps):
        start = (step * args.batch) % n
        x = images[start:start + args.batch]
        y = labels[start:start + args.batch]
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    write_safetensors(args.out, net.tensors())
    if args.losses:
        json.dump(losses, open(args.losses, "w"))


def bench(args):
    """Images per second on random data, timed like cnnc bench: warm-up, then the median of timed runs."""
    import time
    spec = json.load(open(args.spec))
    torch.set_num_threads(args.threads)
    rss_before = resident_mib()
    net = Net(spec)
    shape = [args.batch] + list(spec["input"])
    x = torch.rand(shape)
    classes = spec_output(spec)
    y = torch.randint(0, classes, (args.batch,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    if args.mode == "train":
        net.train()

        def step():
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
    else:
        net.eval()

        def step():
            with torch.no_grad():
                net(x)
    end = time.time() + args.warmup
    while time.time() < end:
        step()
    rates = []
    for _ in range(args.repeat):
        n = 0
        start = time.time()
        while time.time() - start < args.seconds:
            step()
            n += 1
        rates.append(n * args.batch / (time.time() - start))
    rates.sort()
    print(json.dumps({"images_per_second": rates[len(rates) // 2], "min": rates[0], "max": rates[-1], "torch": torch.__version__,
                      "threads": args.threads, "peak_rss_mib": status_mib("VmHWM:"),
                      "rss_before_mib": rss_before}))


def resident_mib():
    """This process's resident memory now (VmRSS), in MiB."""
    return status_mib("VmRSS:")


def status_mib(field):
    """A memory field of /proc/self/status in MiB: VmRSS now, VmHWM the peak. Not getrusage's
    ru_maxrss: Linux carries that over an exec, so a process started by cnnc's JVM reported the
    JVM's own peak whenever it was the larger."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def losses(args):
    """Every loss of cnnc computed by torch.nn, with the gradient of its input, for the tests."""
    case = json.load(open(args.input))
    x = torch.tensor(case["output"], dtype=torch.float64)
    labels = torch.tensor(case["labels"], dtype=torch.long)
    targets = torch.tensor(case["targets"], dtype=torch.float64)
    delta = case["delta"]
    fns = {
        "cross_entropy": lambda v: F.cross_entropy(v, labels),
        "nll": lambda v: F.nll_loss(v, labels),
        "mse": lambda v: F.mse_loss(v, targets),
        "mae": lambda v: F.l1_loss(v, targets),
        "huber": lambda v: F.huber_loss(v, targets, delta=delta),
        "hinge": lambda v: F.multi_margin_loss(v, labels),
    }
    out = {}
    for name, fn in fns.items():
        v = x.clone().requires_grad_(True)
        loss = fn(v)
        loss.backward()
        out[name] = {"loss": loss.item(), "grad": v.grad.tolist()}
    print(json.dumps(out))


def spec_output(spec):
    last = [l for l in spec["layers"] if l["kind"] == "dense"]
    return last[-1]["out"] if last else 10


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--spec", required=True)
    t.add_argument("--init", required=True)
    t.add_argument("--data", required=True)
    t.add_argument("--steps", type=int, required=True)
    t.add_argument("--batch", type=int, required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--losses")
    t.add_argument("--double", action="store_true", help="train in float64 (the tensors are written as float32)")
    v = sub.add_parser("activations")
    v.add_argument("--spec", required=True)
    v.add_argument("--weights", required=True)
    v.add_argument("--input", required=True)
    v.add_argument("--layers", required=True)
    v.add_argument("--out", required=True)
    c = sub.add_parser("cam")
    c.add_argument("--spec", required=True)
    c.add_argument("--weights", required=True)
    c.add_argument("--input", required=True)
    c.add_argument("--layer", required=True)
    c.add_argument("--class", dest="klass", type=int)
    c.add_argument("--out", required=True)
    t.add_argument("--threads", type=int, default=1)
    b = sub.add_parser("bench")
    b.add_argument("--spec", required=True)
    b.add_argument("--mode", choices=["train", "infer"], default="train")
    b.add_argument("--batch", type=int, default=64)
    b.add_argument("--warmup", type=float, default=5)
    b.add_argument("--repeat", type=int, default=5)
    b.add_argument("--seconds", type=float, default=2)
    b.add_argument("--threads", type=int, default=2)
    l = sub.add_parser("losses")
    l.add_argument("--input", required=True)
    args = p.parse_args()
    if args.command == "losses":
        losses(args)
    elif args.command == "train":
        train(args)
    elif args.command == "bench":
        bench(args)
    elif args.command == "activations":
        activations(args)
    elif args.command == "cam":
        cam(args)


if __name__ == "__main__":
    main()
