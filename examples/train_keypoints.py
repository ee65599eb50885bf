"""Train a tiny CNN to regress the 21 hand keypoints on a hands dataset, then report PCK on the test split.

    python -m synthgen render --config examples/keypoints.yaml --out outputs/keypoints   # ~5 min, 900 rows
    python examples/train_keypoints.py outputs/keypoints [--epochs 40] [--size 96]

The loss and the score count only keypoints labelled visible (out of frame or occluded ones carry no image
evidence). PCK@0.2: a keypoint is correct when it lies within 0.2 x the hand's size (the longer side of its
keypoints' box) of the label. The model must beat the mean training pose placed at the mean position; that it
does shows that keypoints, visibility flags and augmented variants line up with the pixels. On the
keypoints.yaml data (2-core VM, 40 epochs, about 1 minute): test PCK@0.2 0.53 against 0.36 for the mean pose
(identity-disjoint test split, 1404 visible keypoints).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from synthgen.data import open_dataset

log = logging.getLogger("train_keypoints")

KEYPOINTS = 21


class ResizeWithKeypoints:
    """Row -> (image (3, S, S) in 0..1, keypoints (21, 2) in 0..1 of the image size, visible (21,) 0/1)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, sample: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        image = cv2.resize(sample["image"], (self.size, self.size), interpolation=cv2.INTER_AREA)
        scale = np.array([sample["width"], sample["height"]], dtype=np.float32)
        keypoints = np.asarray(sample["keypoints_2d"], dtype=np.float32).reshape(KEYPOINTS, 2) / scale
        visible = np.asarray(sample["keypoints_visible"], dtype=np.float32).reshape(KEYPOINTS)
        return (
            torch.from_numpy(image).permute(2, 0, 1).float() / 255.0,
            torch.from_numpy(keypoints),
            torch.from_numpy(visible),
        )


class TinyKeypointNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())

        self.features = nn.Sequential(block(3, 24), block(24, 48), block(48, 64), block(64, 96))
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(256), nn.ReLU(), nn.Linear(256, 2 * KEYPOINTS))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images)).view(-1, KEYPOINTS, 2) + 0.5


def pck(predicted: torch.Tensor, target: torch.Tensor, visible: torch.Tensor, threshold: float) -> torch.Tensor:
    """Per-keypoint hits (N, 21) within ``threshold`` x hand size; only visible keypoints count."""
    span = target.amax(dim=1) - target.amin(dim=1)  # (N, 2)
    size = span.max(dim=1).values.clamp(min=1e-6)[:, None]
    return ((predicted - target).norm(dim=2) <= threshold * size) & (visible > 0)


def loader(path: str, splits: Sequence[str], size: int, batch: int, workers: int, shuffle: bool) -> DataLoader:
    view = open_dataset(path).filter(split=list(splits), kind="hand")
    data = view.to_torch(
        columns=["image", "keypoints_2d", "keypoints_visible", "width", "height"],
        transform=ResizeWithKeypoints(size),
        shuffle=shuffle,
        seed=0,
    )
    return DataLoader(data, batch_size=batch, num_workers=workers)


def evaluate(model: nn.Module, data: DataLoader, mean_pose: torch.Tensor, threshold: float) -> dict[str, float]:
    model.eval()
    hits, baseline, counted = 0, 0, 0
    with torch.no_grad():
        for images, keypoints, visible in data:
            hits += int(pck(model(images), keypoints, visible, threshold).sum())
            baseline += int(pck(mean_pose.expand_as(keypoints), keypoints, visible, threshold).sum())
            counted += int((visible > 0).sum())
    return {
        "visible_keypoints": counted,
        f"pck@{threshold}": hits / max(counted, 1),
        f"mean_pose_pck@{threshold}": baseline / max(counted, 1),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a synthgen dataset folder or URL")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--size", type=int, default=96, help="images are resized to SIZE x SIZE")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--threshold", type=float, default=0.2, help="PCK threshold as a share of hand size")
    parser.add_argument("--test-split", default="test", help="split(s) to report on, comma-separated")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    train = loader(args.dataset, ["train"], args.size, args.batch_size, args.workers, shuffle=True)
    test = loader(args.dataset, args.test_split.split(","), args.size, args.batch_size, args.workers, shuffle=False)
    mean_pose = torch.cat([keypoints for _, keypoints, _ in train]).mean(dim=0, keepdim=True)
    model = TinyKeypointNet()
    model(torch.zeros(1, 3, args.size, args.size))  # materialise the lazy layer
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    for epoch in range(args.epochs):
        train.dataset.set_epoch(epoch)
        model.train()
        losses = []
        for images, keypoints, visible in train:
            error = nn.functional.smooth_l1_loss(model(images), keypoints, beta=0.02, reduction="none").sum(dim=2)
            loss = (error * visible).sum() / visible.sum().clamp(min=1.0)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        log.info("epoch %d: loss %.4f", epoch + 1, float(np.mean(losses)))
    metrics = evaluate(model, test, mean_pose, args.threshold)
    log.info(
        "%s split, %d visible keypoints: PCK@%.2f %.3f; the mean training pose scores %.3f",
        args.test_split,
        metrics["visible_keypoints"],
        args.threshold,
        metrics[f"pck@{args.threshold}"],
        metrics[f"mean_pose_pck@{args.threshold}"],
    )
    return metrics


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
