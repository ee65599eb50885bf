"""Small CPU baselines, swappable: each task builds its network through :func:`build_model`, and
:func:`register_model` adds another (``synthgen eval --model NAME``). A constructor takes ``in_channels`` (3 RGB,
1 NIR, 4 both) and the task's keyword arguments and returns an ``nn.Module`` with the task's interface:

- ``embedding``: images (N, C, S, S) -> L2-normalised embeddings (N, D); ``.dim`` = D.
- ``pad``: images -> one attack logit per image (N,).
- ``keypoints``: images -> (N, K, 2) keypoints in 0..1 of the image width / height.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from synthgen.errors import UsageError

ModelFactory = Callable[..., nn.Module]
_REGISTRY: dict[str, dict[str, ModelFactory]] = {"embedding": {}, "pad": {}, "keypoints": {}, "detection": {}}


def register_model(task: str, name: str, factory: ModelFactory) -> None:
    _REGISTRY[task][name] = factory


def model_names(task: str) -> list[str]:
    return sorted(_REGISTRY[task])


def build_model(task: str, name: str, in_channels: int, **kwargs: Any) -> nn.Module:
    if name not in _REGISTRY[task]:
        raise UsageError(f"--model: {name!r} is not a {task} model (known: {', '.join(model_names(task))})")
    return _REGISTRY[task][name](in_channels=in_channels, **kwargs)


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """3x3 conv, batch norm, ReLU, then 2x2 max-pool: halves the side."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2)
    )


class SmallTrunk(nn.Module):
    """Four conv blocks (side / 16), global average pooling: a few hundred thousand weights."""

    def __init__(self, in_channels: int, widths: tuple[int, ...] = (32, 64, 96, 128)) -> None:
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers.append(conv_block(c, w))
            c = w
        self.features = nn.Sequential(*layers)
        self.out_channels = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class EmbeddingNet(nn.Module):
    def __init__(self, in_channels: int, dim: int = 128) -> None:
        super().__init__()
        self.trunk = SmallTrunk(in_channels)
        self.project = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.trunk.out_channels, dim), nn.BatchNorm1d(dim))
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.project(self.trunk(x)), dim=1)


class CosFaceHead(nn.Module):
    """Large-margin cosine loss (CosFace, Wang et al. 2018): logits s * (cos(theta_y) - m) for the true class."""

    def __init__(self, dim: int, classes: int, scale: float = 30.0, margin: float = 0.35) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, dim) * 0.01)
        self.scale, self.margin = scale, margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cosine = embeddings @ F.normalize(self.weight, dim=1).T
        margin = F.one_hot(labels, cosine.shape[1]).to(cosine.dtype) * self.margin
        return F.cross_entropy(self.scale * (cosine - margin), labels)


class PadNet(nn.Module):
    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.trunk = SmallTrunk(in_channels, (16, 32, 64, 64))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.trunk.out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x)).squeeze(1)


class HeatmapKeypointNet(nn.Module):
    """Heatmaps at 1/4 of the input side and a soft-argmax (integral regression): differentiable coordinates,
    trained directly on the keypoint error, small and quick to converge."""

    def __init__(self, in_channels: int, keypoints: int = 21) -> None:
        super().__init__()
        self.encoder = nn.Sequential(conv_block(in_channels, 32), conv_block(32, 64))  # side / 4
        self.context = nn.Sequential(
            nn.Conv2d(64, 96, 3, padding=2, dilation=2, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
            nn.Conv2d(96, 96, 3, padding=4, dilation=4, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
        )
        self.heatmaps = nn.Conv2d(96, keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.heatmaps(self.context(self.encoder(x)))
        n, k, h, w = logits.shape
        prob = logits.flatten(2).softmax(dim=2).view(n, k, h, w)
        xs = (torch.arange(w, dtype=x.dtype) + 0.5) / w
        ys = (torch.arange(h, dtype=x.dtype) + 0.5) / h
        return torch.stack([(prob.sum(2) * xs).sum(2), (prob.sum(3) * ys).sum(2)], dim=2)


register_model("embedding", "small-cnn", EmbeddingNet)
register_model("pad", "small-cnn", PadNet)
register_model("keypoints", "heatmap-cnn", HeatmapKeypointNet)
DEFAULT_MODELS = {"embedding": "small-cnn", "pad": "small-cnn", "keypoints": "heatmap-cnn"}
