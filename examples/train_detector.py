"""Train a tiny CNN to regress the subject's box on a tabletop dataset, then report IoU on the test split.

    python -m synthgen render --config examples/detector.yaml --out outputs/detector   # ~2 min, 720 rows
    python examples/train_detector.py outputs/detector [--epochs 30] [--size 96]       # ~30 s on 2 cores

Shows the loaders end to end (filters pushed down to Parquet, only the needed columns decoded, row groups split
across DataLoader workers) and doubles as a check that the labels teach something: the model must beat a
constant box (the mean training box). On the detector.yaml data (2-core VM): test mean IoU 0.69 with 89% of
boxes above IoU 0.5, against 0.57 for the constant box.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import pyarrow.compute as pc
import torch
from torch import nn
from torch.utils.data import DataLoader

from synthgen.data import open_dataset

log = logging.getLogger("train_detector")


class ResizeWithBox:
    """Row -> (image tensor (3, S, S) in 0..1, box in 0..1 of the image size). A class, so it pickles."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, sample: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        image = cv2.resize(sample["image"], (self.size, self.size), interpolation=cv2.INTER_AREA)
        scale = np.array([sample["width"], sample["height"]] * 2, dtype=np.float32)
        box = sample["bbox"] / scale  # [x_min, y_min, x_max, y_max] in 0..1
        return torch.from_numpy(image).permute(2, 0, 1).float() / 255.0, torch.from_numpy(box)


class TinyBoxNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())

        self.features = nn.Sequential(block(3, 16), block(16, 32), block(32, 64), block(64, 64))
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(128), nn.ReLU(), nn.Linear(128, 4), nn.Sigmoid())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of matching rows of two (N, 4) box tensors."""
    low = torch.maximum(a[:, :2], b[:, :2])
    high = torch.minimum(a[:, 2:], b[:, 2:])
    inter = (high - low).clamp(min=0).prod(dim=1)
    area = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(dim=1) + (b[:, 2:] - b[:, :2]).clamp(min=0).prod(dim=1)
    return inter / (area - inter).clamp(min=1e-9)


def loader(path: str, splits: Sequence[str], size: int, batch: int, workers: int, shuffle: bool) -> DataLoader:
    view = open_dataset(path).filter(split=list(splits), expression=pc.field("bbox").is_valid())
    data = view.to_torch(
        columns=["image", "bbox", "width", "height"], transform=ResizeWithBox(size), shuffle=shuffle, seed=0
    )
    return DataLoader(data, batch_size=batch, num_workers=workers)


def evaluate(model: nn.Module, data: DataLoader, constant: torch.Tensor) -> dict[str, float]:
    model.eval()
    ious, baseline = [], []
    with torch.no_grad():
        for images, boxes in data:
            ious.append(box_iou(model(images), boxes))
            baseline.append(box_iou(constant.expand_as(boxes), boxes))
    iou, base = torch.cat(ious), torch.cat(baseline)
    return {
        "samples": len(iou),
        "mean_iou": float(iou.mean()),
        "iou_at_0.5": float((iou > 0.5).float().mean()),
        "constant_box_mean_iou": float(base.mean()),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a synthgen dataset folder or URL")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--size", type=int, default=96, help="images are resized to SIZE x SIZE")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--test-split", default="test", help="split(s) to report on, comma-separated")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    train = loader(args.dataset, ["train"], args.size, args.batch_size, args.workers, shuffle=True)
    test = loader(args.dataset, args.test_split.split(","), args.size, args.batch_size, args.workers, shuffle=False)
    constant = torch.cat([boxes for _, boxes in train]).mean(dim=0, keepdim=True)
    model = TinyBoxNet()
    model(torch.zeros(1, 3, args.size, args.size))  # materialise the lazy layer
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    for epoch in range(args.epochs):
        train.dataset.set_epoch(epoch)
        model.train()
        losses = []
        for images, boxes in train:
            predicted = model(images)
            loss = nn.functional.smooth_l1_loss(predicted, boxes, beta=0.05) + (1 - box_iou(predicted, boxes)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        log.info("epoch %d: loss %.4f", epoch + 1, float(np.mean(losses)))
    metrics = evaluate(model, test, constant)
    log.info(
        "%s split, %d samples: mean IoU %.3f (IoU > 0.5 for %.0f%%); a constant mean box scores %.3f",
        args.test_split,
        metrics["samples"],
        metrics["mean_iou"],
        100 * metrics["iou_at_0.5"],
        metrics["constant_box_mean_iou"],
    )
    return metrics


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
