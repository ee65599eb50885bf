"""`synthgen eval --task detection`: COCO mAP by pycocotools on ground truth from the COCO export's conversion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from synthgen.data import open_dataset
from synthgen.eval import detection
from synthgen.eval.common import EvalOptions
from synthgen.export.categories import dataset_vocabulary
from synthgen.export.coco import coco_from_rows
from tests.conftest import run_cli

pytestmark = pytest.mark.blender


def _test_split(dataset: Path) -> tuple[list[dict], dict]:
    ds = open_dataset(dataset)
    options = EvalOptions(dataset=ds, out_dir=dataset / "unused", task="detection")
    rows = detection.rows_of(options, ("test",), clean_only=True)
    return rows, coco_from_rows(rows, dataset_vocabulary(ds.manifest))


def test_ground_truth_as_detections_scores_map_1(products_eval_dataset: Path) -> None:
    _, gt = _test_split(products_eval_dataset)
    perfect = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
               for a in gt["annotations"]]  # fmt: skip
    products = [c["id"] for c in gt["categories"] if c["supercategory"] != "defect"]
    result = detection.coco_eval(gt, perfect, products)
    assert result["map"] == pytest.approx(1.0) and result["ap50"] == pytest.approx(1.0)
    assert result["ground_truth_boxes"] == sum(a["category_id"] in products for a in gt["annotations"]) > 0
    assert detection.coco_eval(gt, [], products)["map"] == 0.0


class _Oracle(nn.Module):
    """Returns the training targets as the network's output: what decoding must turn back into the boxes."""

    def __init__(self, target: dict, classes: int, grid: int) -> None:
        super().__init__()
        self.heat = torch.logit(torch.from_numpy(target["heat"]).clamp(1e-4, 0.999))
        self.size = torch.zeros(len(self.heat), 2, grid, grid)
        self.offset = torch.zeros(len(self.heat), 2, grid, grid)
        for n, y, x, w, h, dx, dy in target["cells"]:
            self.size[int(n), :, int(y), int(x)] = torch.tensor([w, h])
            self.offset[int(n), :, int(y), int(x)] = torch.tensor([dx, dy])

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = len(images)
        return self.heat[:n], self.size[:n], self.offset[:n]


def test_targets_and_decoding_are_inverse(products_eval_dataset: Path) -> None:
    rows, gt = _test_split(products_eval_dataset)
    categories = [c["id"] for c in gt["categories"]]
    size = 128
    target = detection.targets(gt, rows, size, {cid: k for k, cid in enumerate(categories)})
    oracle = _Oracle(target, len(categories), size // detection.STRIDE)
    images = np.zeros((len(rows), 3, size, size), np.float32)
    found = detection.detect(oracle, images, rows, categories, size)

    def iou(a: list[float], b: list[float]) -> float:
        w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
        return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)

    # Every box comes back (IoU >= 0.9) unless another box of its class has its centre in the same cell (CenterNet
    # keeps one object per cell and class): on this data all but at most a tenth.
    recovered = [
        max((iou(a["bbox"], d["bbox"]) for d in found
             if d["image_id"] == a["image_id"] and d["category_id"] == a["category_id"]), default=0.0) >= 0.9
        for a in gt["annotations"]
    ]  # fmt: skip
    assert np.mean(recovered) >= 0.9, np.mean(recovered)


def test_detection_end_to_end(products_eval_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "detection"
    result = run_cli("eval", str(products_eval_dataset), "--task", "detection", "--epochs", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    m = json.loads((out / "metrics.json").read_text())
    rows, gt = _test_split(products_eval_dataset)
    assert m["test"]["images"] == len(rows) and m["test"]["boxes"] == len(gt["annotations"])
    assert m["training"]["steps"] > 0
    for group in ("products", "defects"):
        if m[group] is not None:
            assert 0.0 <= m[group]["map"] <= m[group]["ap50"] <= 1.0
    with np.load(out / "scores.npz") as scores:
        perfect_ids = {a["image_id"] for a in gt["annotations"]}
        assert set(scores["image_id"].tolist()) <= set(range(1, len(rows) + 1))
        assert scores["bbox"].shape == (len(scores["score"]), 4) and perfect_ids
    assert (out / "index.html").read_text().count("<table>") >= 2
