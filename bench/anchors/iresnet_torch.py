"""The IResNet of insightface arcface_torch / the official TopoFR code (`backbones/iresnet.py`),
written out for the topofr anchors and test fixtures, with the official module names, so its
state_dict has the official keys (conv1.weight, bn1.*, prelu.weight, layer1.0.bn1.running_mean, ...,
fc.weight, features.*, and TopoFR's class centres `weight`):

  stem   conv1: conv3x3(3->w64, s1, no bias) -> bn1 -> prelu
  block  bn1 -> conv1 3x3(s1) -> bn2 -> prelu -> conv2 3x3(s) -> bn3, plus downsample = conv1x1(s)
         + BN when the shape changes; residual add; first block of each stage stride 2
  head   bn2 (2d) -> flatten (NCHW) -> dropout -> fc -> features (BN1d; its weight trainable as in
         TopoFR, frozen as in arcface_torch with freeze_embedding_scale=True)

Widths are 64/128/256/512 x width (rounded, halves up, as src/model/iresnet.ts), any input size
(the fc's inputs follow the last feature map). Init as the official code: conv ~ N(0, 0.1), BN 1/0,
PReLU 0.25, Linear PyTorch's default, class centres ~ N(0, 0.01). forward returns the embedding.
"""
import math

import torch
from torch import nn

LAYERS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 14, 3], 100: [3, 13, 30, 3], 200: [6, 26, 60, 6]}
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
CONV_STD = 0.1


def bn2d(c):
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=BN_MOMENTUM)


def conv3x3(cin, cout, stride):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = bn2d(cin)
        self.conv1 = conv3x3(cin, cout, 1)
        self.bn2 = bn2d(cout)
        self.prelu = nn.PReLU(cout, init=0.25)
        self.conv2 = conv3x3(cout, cout, stride)
        self.bn3 = bn2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), bn2d(cout))

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity


def strided(size):
    return (size + 2 - 3) // 2 + 1


def widths(width):
    w = lambda c: max(1, math.floor(c * width + 0.5))  # noqa: E731 (JS Math.round, halves up)
    return [w(64), w(64), w(128), w(256), w(512)]


class IResNet(nn.Module):
    def __init__(self, depth, input_size, width=1.0, embedding=512, num_classes=None, freeze_embedding_scale=False):
        super().__init__()
        stem, *stages = widths(width)
        self.conv1 = conv3x3(3, stem, 1)
        self.bn1 = bn2d(stem)
        self.prelu = nn.PReLU(stem, init=0.25)
        cin, side = stem, input_size
        for s, (planes, count) in enumerate(zip(stages, LAYERS[depth])):
            blocks = []
            for b in range(count):
                blocks.append(IBasicBlock(cin, planes, 2 if b == 0 else 1))
                cin = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
            side = strided(side)
        self.bn2 = bn2d(cin)
        self.dropout = nn.Dropout(0.0)
        self.fc = nn.Linear(cin * side * side, embedding)
        self.features = nn.BatchNorm1d(embedding, eps=BN_EPS, momentum=BN_MOMENTUM)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = not freeze_embedding_scale
        if num_classes is not None:
            self.weight = nn.Parameter(torch.normal(0, 0.01, (num_classes, embedding)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, CONV_STD)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.bn2(x), 1)
        return self.features(self.fc(self.dropout(x)))
