#!/usr/bin/python3
"""Parameter counts of the samples' networks as PyTorch counts them, from torch.nn definitions
written here by hand (and torchvision's own VGG-16 and ResNet-18), not from cnnc's reading of
the .cnn files. Prints {"file.cnn": [trainable, non_trainable], ...} as JSON; non-trainable
counts batchnorm's running mean and variance (buffers, without num_batches_tracked).

Each network is also run on one input of the sample's size, so the final feature count (what
a wrong stride or padding would change) is checked by torch itself.
"""
import json

import torch
import torch.nn as nn
import torchvision


def fashion():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
                         nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
                         nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 10)), (1, 28, 28)


def cifar10_simple():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 16 * 16, 10)), (3, 32, 32)


def dogs_vs_cats():
    layers, c = [], 3
    for f in (32, 64, 128, 128):
        layers += [nn.Conv2d(c, f, 3), nn.ReLU(), nn.MaxPool2d(2)]
        c = f
    # 150 -> 148 -> 74 -> 72 -> 36 -> 34 -> 17 -> 15 -> 7
    return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.5), nn.Linear(7 * 7 * 128, 512), nn.ReLU(), nn.Linear(512, 2),
                         nn.Softmax(dim=1)), (3, 150, 150)


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)), (1, 32, 32)


def vgg_stage():
    return nn.Sequential(nn.Conv2d(128, 256, 3, padding=1), nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(28 * 28 * 256, 10)), (128, 56, 56)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.main(x) + x)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def resnet_block():
    return Block(), (64, 56, 56)


class SEBlock(nn.Module):
    """A basic residual block whose second batchnorm is gated by squeeze-and-excitation (reduction 4)."""

    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64))
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(64, 16, 1), nn.ReLU(), nn.Conv2d(16, 64, 1), nn.Sigmoid())
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        y = self.main(x)
        x = torch.relu(y * self.gate(y) + x)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class UNetSmall(nn.Module):
    """samples/unet_small.cnn: two levels, each keeping its features for the concat on the way up."""

    @staticmethod
    def double(cin, n):
        return nn.Sequential(nn.Conv2d(cin, n, 3, padding=1, bias=False), nn.BatchNorm2d(n), nn.ReLU(),
                             nn.Conv2d(n, n, 3, padding=1, bias=False), nn.BatchNorm2d(n), nn.ReLU())

    def __init__(self):
        super().__init__()
        self.enc1, self.enc2, self.bottom = self.double(1, 16), self.double(16, 32), self.double(32, 64)
        self.up2, self.dec2 = nn.ConvTranspose2d(64, 32, 2, stride=2), self.double(64, 32)
        self.up1, self.dec1 = nn.ConvTranspose2d(32, 16, 2, stride=2), self.double(32, 16)
        self.head = nn.Conv2d(16, 3, 1)

    def forward(self, x):
        a = self.enc1(x)
        b = self.enc2(nn.functional.max_pool2d(a, 2))
        c = self.up2(self.bottom(nn.functional.max_pool2d(b, 2)))
        d = self.up1(self.dec2(torch.cat([b, c], 1)))
        return self.head(self.dec1(torch.cat([a, d], 1)))


class BasicCifar(nn.Module):
    """ResNet-20's basic block (He et al. 2015, 4.2), with a strided 1x1 conv and batchnorm as the shortcut where the shape changes."""

    def __init__(self, cin, n, stride):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(cin, n, 3, stride, 1, bias=False), nn.BatchNorm2d(n), nn.ReLU(),
                                  nn.Conv2d(n, n, 3, 1, 1, bias=False), nn.BatchNorm2d(n))
        self.shortcut = nn.Identity() if stride == 1 and cin == n else nn.Sequential(nn.Conv2d(cin, n, 1, stride, bias=False), nn.BatchNorm2d(n))

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


def resnet20_cifar():
    layers, cin = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for n, stride in [(16, 1), (32, 2), (64, 2)]:
        for b in range(3):
            layers.append(BasicCifar(cin, n, stride if b == 0 else 1))
            cin = n
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers), (3, 32, 32)


def vgg_cifar():
    layers, cin = [], 3
    for n in [64, 64, "M", 128, 128, "M", 256, 256, "M"]:
        if n == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, n, 3, padding=1, bias=False), nn.BatchNorm2d(n), nn.ReLU()]
            cin = n
    layers += [nn.Flatten(), nn.Linear(4096, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10)]
    return nn.Sequential(*layers), (3, 32, 32)


NETS = {
    "resnet20_cifar.cnn": resnet20_cifar,
    "vgg_cifar.cnn": vgg_cifar,
    "unet_small.cnn": lambda: (UNetSmall(), (1, 32, 32)),
    "zoo/densenet121.cnn": lambda: (torchvision.models.densenet121(), (3, 224, 224)),
    "zoo/resnet50.cnn": lambda: (torchvision.models.resnet50(), (3, 224, 224)),
    "se_resnet_block.cnn": lambda: (SEBlock(), (64, 32, 32)),
    "fashion_mnist.cnn": fashion,
    "cifar10_simple.cnn": cifar10_simple,
    "dogs_vs_cats.cnn": dogs_vs_cats,
    "lenet5.cnn": lenet5,
    "vgg16.cnn": lambda: (torchvision.models.vgg16(), (3, 224, 224)),
    "resnet18.cnn": lambda: (torchvision.models.resnet18(), (3, 224, 224)),
    "vgg_stage.cnn": vgg_stage,
    "resnet_block.cnn": resnet_block,
}


def main():
    out = {}
    with torch.no_grad():
        for name, make in NETS.items():
            net, shape = make()
            net.eval()
            y = net(torch.zeros((1,) + shape))
            trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
            buffers = sum(b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
            out[name] = [trainable, buffers, list(y.shape)[1:]]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
