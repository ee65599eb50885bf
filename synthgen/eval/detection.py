"""Task ``detection``: products (and their defects) by a small CenterNet, measured by COCO mAP with pycocotools.

Ground truth is the COCO export's own in-memory conversion (``synthgen.export.coco.coco_from_rows``: boxes from
the instance and defect masks, the export's category ids), so the figures are those of the files
``synthgen export --format coco`` writes. The baseline (Zhou et al., "Objects as Points", 2019, at toy size)
predicts a centre heatmap per category, the box size and the centre's sub-cell offset at 1/4 of the input side.
Reported: mAP@[.5:.95], AP50 and AP75 over the product categories, the same over the defect categories, AP per
category, and the precision-recall curves at IoU 0.5.
"""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch import nn

from synthgen.errors import UsageError
from synthgen.eval.common import EvalOptions
from synthgen.eval.data import resized
from synthgen.eval.models import DEFAULT_MODELS, build_model, conv_block, register_model
from synthgen.eval.report import Report, line_figure, write_results
from synthgen.eval.training import fit, seeded
from synthgen.export.categories import dataset_vocabulary
from synthgen.export.coco import coco_from_rows

log = logging.getLogger(__name__)

STRIDE = 4
ROW_COLUMNS = [
    "sample_id", "render_id", "aug_index", "split", "kind", "is_live", "attack_type", "width", "height",
    "image", "mask", "instances", "defects", "defect_mask", "spec",
]  # fmt: skip


class CenterNet(nn.Module):
    """Heatmap (one channel per category), box size and offset heads on a stride-4 trunk."""

    def __init__(self, in_channels: int, classes: int) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            conv_block(in_channels, 32),
            conv_block(32, 64),
            nn.Conv2d(64, 96, 3, padding=2, dilation=2, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
            nn.Conv2d(96, 96, 3, padding=4, dilation=4, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
        )
        self.heat = nn.Conv2d(96, classes, 1)
        self.size = nn.Conv2d(96, 2, 1)
        self.offset = nn.Conv2d(96, 2, 1)
        nn.init.constant_(self.heat.bias, -2.19)  # start at p = 0.1 everywhere (the CenterNet prior)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.heat(h), self.size(h), self.offset(h)


register_model("detection", "centernet-small", CenterNet)
DEFAULT_MODELS["detection"] = "centernet-small"


def rows_of(options: EvalOptions, splits: tuple[str, ...], clean_only: bool) -> list[dict[str, Any]]:
    view = options.dataset.filter(split=list(splits))
    if clean_only:
        import pyarrow.compute as pc

        view = view.filter(expression=pc.field("aug_index") == 0)
    columns = [c for c in ROW_COLUMNS if c in options.dataset.columns]
    return list(view.reader(columns).iter_rows())


def targets(coco: dict[str, Any], rows: list[dict[str, Any]], size: int, category_index: dict[int, int]) -> dict:
    """Per image: (G, G) heatmaps per category, and the size / offset targets at each box's centre cell."""
    grid = size // STRIDE
    heat = np.zeros((len(rows), len(category_index), grid, grid), np.float32)
    cells: list[tuple[int, int, int, float, float, float, float]] = []  # image, y, x, w, h, dx, dy
    ys, xs = np.mgrid[0:grid, 0:grid]
    by_image: dict[int, list[dict[str, Any]]] = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    for n, (image, row) in enumerate(zip(coco["images"], rows, strict=True)):
        sx, sy = size / row["width"], size / row["height"]
        for a in by_image.get(image["id"], []):
            x, y, w, h = a["bbox"]
            cx, cy = (x + w / 2) * sx / STRIDE, (y + h / 2) * sy / STRIDE
            px, py = min(int(cx), grid - 1), min(int(cy), grid - 1)
            gw, gh = w * sx / STRIDE, h * sy / STRIDE
            sigma = max(0.5, 0.15 * np.sqrt(gw * gh))
            blob = np.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * sigma**2))
            k = category_index[a["category_id"]]
            heat[n, k] = np.maximum(heat[n, k], blob)
            cells.append((n, py, px, gw, gh, cx - px, cy - py))
    return {"heat": heat, "cells": np.array(cells, np.float32).reshape(-1, 7)}


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced pixel-wise focal loss (alpha 2, beta 4)."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    peak = target.eq(1).float()
    positive = -((1 - p) ** 2) * torch.log(p) * peak
    negative = -((1 - target) ** 4) * p**2 * torch.log(1 - p) * (1 - peak)
    return (positive.sum() + negative.sum()) / peak.sum().clamp(min=1.0)


def train_detector(options: EvalOptions, images: np.ndarray, target: dict, classes: int) -> tuple[nn.Module, dict]:
    rng = seeded(options.train, 11)
    model = build_model("detection", options.model or DEFAULT_MODELS["detection"], images.shape[1], classes=classes)
    x = torch.from_numpy(images)
    heat = torch.from_numpy(target["heat"])
    cells = target["cells"]
    grid = heat.shape[-1]

    def step(index: np.ndarray) -> torch.Tensor:
        flip = rng.random() < 0.5  # one horizontal flip per batch: boxes mirror with it
        batch, batch_heat = x[index], heat[index]
        if flip:
            batch, batch_heat = batch.flip(3), batch_heat.flip(3)
        gain = torch.from_numpy(rng.uniform(0.8, 1.2, (len(index), 1, 1, 1)).astype(np.float32))
        heat_logits, size, offset = model((batch * gain).clamp(0, 1))
        loss = focal_loss(heat_logits, batch_heat)
        position = {int(v): k for k, v in enumerate(index)}
        mine = cells[np.isin(cells[:, 0], index)]
        if len(mine):
            b = torch.tensor([position[int(v)] for v in mine[:, 0]])
            cy = torch.from_numpy(mine[:, 1]).long()
            cx = torch.from_numpy(mine[:, 2]).long()
            dx = torch.from_numpy(mine[:, 5])
            if flip:
                cx, dx = grid - 1 - cx, 1 - dx
            wanted_size = torch.from_numpy(mine[:, 3:5])
            wanted_offset = torch.stack([dx, torch.from_numpy(mine[:, 6])], dim=1)
            loss = loss + 0.1 * F.l1_loss(size[b, :, cy, cx], wanted_size)
            loss = loss + F.l1_loss(offset[b, :, cy, cx], wanted_offset)
        return loss

    history = fit(model, len(images), step, options.train, rng, what="detection")
    return model, history | {"images": len(images), "boxes": len(cells)}


@torch.no_grad()
def detect(
    model: nn.Module, images: np.ndarray, rows: list[dict], categories: list[int], size: int, top: int = 100
) -> list[dict[str, Any]]:
    """COCO result entries (image ids 1..N in ``rows`` order, boxes in the original pixels)."""
    model.eval()
    out = []
    for start in range(0, len(images), 64):
        heat_logits, wh, offset = model(torch.from_numpy(images[start : start + 64]))
        heat = torch.sigmoid(heat_logits)
        peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
        n, k, g, _ = heat.shape
        scores, flat = peaks.reshape(n, -1).topk(min(top, k * g * g))
        for i in range(n):
            row = rows[start + i]
            sx, sy = row["width"] / size, row["height"] / size
            for score, index in zip(scores[i].tolist(), flat[i].tolist(), strict=True):
                if score < 0.01:
                    break
                c, cell = divmod(index, g * g)
                cy, cx = divmod(cell, g)
                w, h = (wh[i, :, cy, cx] * STRIDE).tolist()
                ox, oy = offset[i, :, cy, cx].tolist()
                x0, y0 = (cx + ox) * STRIDE - w / 2, (cy + oy) * STRIDE - h / 2
                out.append(
                    {
                        "image_id": start + i + 1,
                        "category_id": categories[c],
                        "bbox": [x0 * sx, y0 * sy, max(w, 0.0) * sx, max(h, 0.0) * sy],
                        "score": float(score),
                    }
                )
    return out


def coco_eval(gt: dict[str, Any], detections: list[dict[str, Any]], category_ids: list[int]) -> dict[str, Any] | None:
    """COCOeval bbox over ``category_ids`` that have ground truth; None when none has."""
    with_gt = sorted({a["category_id"] for a in gt["annotations"]} & set(category_ids))
    if not with_gt:
        return None
    names = {c["id"]: c["name"] for c in gt["categories"]}
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):  # pycocotools prints its progress
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        mine = [d for d in detections if d["category_id"] in with_gt]
        coco_dt = coco_gt.loadRes(mine) if mine else COCO()
        if not mine:
            coco_dt.dataset = {"images": gt["images"], "categories": gt["categories"], "annotations": []}
            coco_dt.createIndex()
        evaluator = COCOeval(coco_gt, coco_dt, "bbox")
        evaluator.params.catIds = with_gt
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    log.debug("%s", quiet.getvalue())
    stats = [float(v) for v in evaluator.stats]
    precision = evaluator.eval["precision"]  # [IoU thresholds, recall points, categories, areas, max dets]
    per_category, pr_curves = {}, {}
    for k, cid in enumerate(with_gt):
        p = precision[:, :, k, 0, -1]
        per_category[names[cid]] = float(p[p > -1].mean()) if (p > -1).any() else None
        pr_curves[names[cid]] = precision[0, :, k, 0, -1].tolist()
    return {
        "categories": [names[c] for c in with_gt],
        "ground_truth_boxes": int(sum(a["category_id"] in with_gt for a in gt["annotations"])),
        "detections": len(mine),
        "map": stats[0],
        "ap50": stats[1],
        "ap75": stats[2],
        "ap_small": stats[3],
        "ap_medium": stats[4],
        "ap_large": stats[5],
        "ar100": stats[8],
        "ap_per_category": per_category,
        "pr_iou50": pr_curves,
        "recall_points": evaluator.params.recThrs.tolist(),
    }


def run(options: EvalOptions) -> dict[str, Any]:
    config_scene = options.dataset.manifest.get("config", {}).get("scene", {})
    if config_scene.get("type") != "products":
        raise UsageError(f"detection: needs a products dataset (scene.type is {config_scene.get('type')!r})")
    vocab = dataset_vocabulary(options.dataset.manifest)
    train_rows = rows_of(options, options.train_splits, clean_only=False)
    test_rows = rows_of(options, options.test_splits, clean_only=True)
    if len(train_rows) < 2 or not test_rows:
        raise UsageError(f"detection: {len(train_rows)} train and {len(test_rows)} test rows; needs 2 and 1")
    train_gt = coco_from_rows(train_rows, vocab)
    test_gt = coco_from_rows(test_rows, vocab)
    categories = [c["id"] for c in test_gt["categories"]]
    category_index = {cid: k for k, cid in enumerate(categories)}
    size = options.size

    def stack(rows: list[dict]) -> np.ndarray:
        return np.stack([resized(r["image"], size) for r in rows]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0

    train_images, test_images = stack(train_rows), stack(test_rows)
    model, history = train_detector(
        options, train_images, targets(train_gt, train_rows, size, category_index), len(categories)
    )
    detections = detect(model, test_images, test_rows, categories, size)
    product_ids = [c["id"] for c in test_gt["categories"] if c["supercategory"] != "defect"]
    defect_ids = [c["id"] for c in test_gt["categories"] if c["supercategory"] == "defect"]
    result: dict[str, Any] = {
        "task": "detection",
        "dataset": options.dataset.source.location,
        "train": {"splits": list(options.train_splits), "images": len(train_rows),
                  "boxes": len(train_gt["annotations"])},
        "test": {"splits": list(options.test_splits), "images": len(test_rows), "boxes": len(test_gt["annotations"])},
        "ground_truth": "synthgen.export.coco.coco_from_rows (boxes from the instance and defect masks)",
        "settings": {"size": size, "model": options.model or DEFAULT_MODELS["detection"]} | options.train.__dict__,
        "training": history,
        "products": coco_eval(test_gt, detections, product_ids),
        "defects": coco_eval(test_gt, detections, defect_ids),
    }  # fmt: skip
    report = Report(f"detection: {options.dataset.source.location}")
    report.note(
        f"{len(train_rows)} train images, {len(test_rows)} test images ({len(test_gt['annotations'])} boxes); "
        f"COCO bbox evaluation by pycocotools on ground truth from the COCO export's conversion; input {size} px."
    )
    rows = []
    for group in ("products", "defects"):
        r = result[group]
        if r is None:
            continue
        rows.append([group, r["ground_truth_boxes"], r["map"], r["ap50"], r["ap75"], r["ar100"]])
        recall = r["recall_points"]
        curves = {
            name: (recall, [max(p, 0.0) for p in precision])
            for name, precision in r["pr_iou50"].items()
            if any(p > -1 for p in precision)
        }
        if curves:
            report.figure(line_figure(curves, "recall", "precision", f"{group}, IoU 0.5"), f"PR curves, {group}")
        report.table(["category", "AP"], list(r["ap_per_category"].items()), f"AP per category ({group})")
    report.table(["group", "boxes", "mAP@[.5:.95]", "AP50", "AP75", "AR@100"], rows, "COCO bbox")
    raw = {
        "image_id": np.array([d["image_id"] for d in detections], np.int64),
        "category_id": np.array([d["category_id"] for d in detections], np.int64),
        "bbox": np.array([d["bbox"] for d in detections], np.float64).reshape(-1, 4),
        "score": np.array([d["score"] for d in detections], np.float64),
        "sample_id": np.array([r["sample_id"] for r in test_rows]),
    }
    write_results(options.out_dir, result, report, raw)
    return result
