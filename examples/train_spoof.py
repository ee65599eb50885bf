"""Train a tiny CNN to tell live palms from presentation attacks on a palm-scanner dataset, then report ROC AUC.

    python -m synthgen render --config examples/spoof.yaml --out outputs/spoof   # live + attacks, RGB + NIR
    python examples/train_spoof.py outputs/spoof [--epochs 40] [--size 64] [--channels rgb+nir]

The network sees the RGB image and, where the dataset has one, the NIR capture as a fourth channel. Splits are
identity-disjoint: an identity's live samples and the attacks that copy it are all in one split, so the test
score is for people (and attack instruments) the model never saw. ROC AUC is reported over the whole test split
and for live against each attack type alone (a spoof detector that only catches screens is easy to build).

On the spoof.yaml data (240 renders at 96 px: 5.4 minutes to render on the 2-core VM, 40 epochs in 20 s), the
identity-disjoint test split (42 samples, 23 attacks) scores ROC AUC 0.94 with RGB + NIR (print 0.99, silicone
0.93, cut-out 0.94, screen 0.91) and 0.83 with RGB alone: the NIR capture carries the cues it should.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch
from scipy.stats import mannwhitneyu
from torch import nn
from torch.utils.data import DataLoader

from synthgen.data import open_dataset

log = logging.getLogger("train_spoof")


class ResizeToChannels:
    """Row -> (image (C, S, S) in 0..1: RGB, then NIR if asked for, label 1 = attack, attack type)."""

    def __init__(self, size: int, use_nir: bool) -> None:
        self.size = size
        self.use_nir = use_nir

    def _resized(self, image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_AREA)

    def __call__(self, sample: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, str]:
        channels = [self._resized(sample["image"])]
        if self.use_nir:
            channels.append(self._resized(sample["nir"])[..., None])
        image = np.concatenate(channels, axis=2)
        label = torch.tensor(0.0 if sample["is_live"] else 1.0)
        return torch.from_numpy(image).permute(2, 0, 1).float() / 255.0, label, sample["attack_type"] or "live"


class TinySpoofNet(nn.Module):
    def __init__(self, in_channels: int) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> nn.Sequential:
            conv = nn.Conv2d(c_in, c_out, 3, padding=1)
            return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(in_channels, 16), block(16, 32), block(32, 48), block(48, 64))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images)).squeeze(1)  # attack logit


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random attack scores higher than a random live sample (ties count half)."""
    attacks, live = scores[labels == 1], scores[labels == 0]
    if len(attacks) == 0 or len(live) == 0:
        return float("nan")
    return float(mannwhitneyu(attacks, live).statistic / (len(attacks) * len(live)))


def loader(path: str, splits: Sequence[str], size: int, use_nir: bool, batch: int, workers: int) -> DataLoader:
    view = open_dataset(path).filter(split=list(splits), kind="hand")
    columns = ["image", "is_live", "attack_type", *(["nir"] if use_nir else [])]
    data = view.to_torch(columns=columns, transform=ResizeToChannels(size, use_nir), shuffle=True, seed=0)
    return DataLoader(data, batch_size=batch, num_workers=workers)


def evaluate(model: nn.Module, data: DataLoader) -> dict[str, Any]:
    model.eval()
    scores, labels, types = [], [], []
    with torch.no_grad():
        for images, label, attack_type in data:
            scores.append(torch.sigmoid(model(images)).numpy())
            labels.append(label.numpy())
            types.extend(attack_type)
    score, label, kind = np.concatenate(scores), np.concatenate(labels), np.array(types)
    metrics: dict[str, Any] = {
        "samples": len(label),
        "attacks": int(label.sum()),
        "roc_auc": roc_auc(score, label),
        "accuracy@0.5": float(((score > 0.5) == (label > 0.5)).mean()),
    }
    for attack_type in sorted(set(kind) - {"live"}):
        chosen = (kind == "live") | (kind == attack_type)
        metrics[f"roc_auc_{attack_type}"] = roc_auc(score[chosen], label[chosen])
    return metrics


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a synthgen dataset folder or URL")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--size", type=int, default=64, help="images are resized to SIZE x SIZE")
    parser.add_argument("--channels", choices=["rgb", "rgb+nir"], default="rgb+nir")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--test-split", default="test", help="split(s) to report on, comma-separated")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    use_nir = args.channels == "rgb+nir"
    train = loader(args.dataset, ["train"], args.size, use_nir, args.batch_size, args.workers)
    test = loader(args.dataset, args.test_split.split(","), args.size, use_nir, args.batch_size, args.workers)
    model = TinySpoofNet(4 if use_nir else 3)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    for epoch in range(args.epochs):
        train.dataset.set_epoch(epoch)
        model.train()
        losses = []
        for images, label, _ in train:
            loss = nn.functional.binary_cross_entropy_with_logits(model(images), label)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        log.info("epoch %d: loss %.4f", epoch + 1, float(np.mean(losses)))
    metrics = evaluate(model, test)
    log.info(
        "%s split (%d samples, %d attacks), %s: ROC AUC %.3f; %s",
        args.test_split,
        metrics["samples"],
        metrics["attacks"],
        args.channels,
        metrics["roc_auc"],
        ", ".join(f"{k.removeprefix('roc_auc_')} {v:.3f}" for k, v in metrics.items() if k.startswith("roc_auc_")),
    )
    return metrics


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
