"""YOLO export read back by Ultralytics itself: its dataset checker, its label verifier and its YOLODataset.

Ultralytics is a test-only tool installed without its dependencies (scripts/setup.sh: it wants opencv-python,
which would clash with opencv-python-headless); ``synthgen[yolo-check]`` holds what its checker imports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

# Ultralytics writes a settings file at import time: keep it out of the user's home, and never go online.
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="synthgen-yolo-settings-"))
os.environ.setdefault("YOLO_OFFLINE", "1")

from ultralytics.data.dataset import YOLODataset
from ultralytics.data.utils import check_det_dataset, verify_image_label

from synthgen.data import open_dataset
from synthgen.export import export_dataset
from synthgen.export.categories import dataset_vocabulary
from synthgen.export.yolo import mask_polygon

CASES = {  # (dataset fixture, task)
    "products-detect": ("export_products_dataset", "detect"),
    "products-segment": ("export_products_dataset", "segment"),
    "hands-pose": ("export_hands_dataset", "pose"),
}


@pytest.fixture(scope="module")
def yolo_export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every case exported once: {case: (dataset folder, export folder, task)}."""
    exports = {}
    for case, (fixture, task) in CASES.items():
        dataset = request.getfixturevalue(fixture)
        out = tmp_path_factory.mktemp("yolo") / case
        export_dataset(dataset, "yolo", out, task=task)
        exports[case] = (dataset, out, task)
    return exports


def _verify(image: Path, label: Path, num_classes: int, task: str) -> tuple:
    result = verify_image_label((str(image), str(label), "", task == "pose", num_classes, 21, 3, False))
    _, lb, _, segments, keypoints, missing, _, _, corrupt, message = result
    assert corrupt == 0 and missing == 0, message
    assert "duplicate" not in message, message
    return lb, segments, keypoints


@pytest.mark.blender
@pytest.mark.parametrize("case", list(CASES))
def test_ultralytics_checks_and_loads_the_tree(case: str, yolo_export: dict) -> None:
    dataset, out, task = yolo_export[case]
    data = check_det_dataset(str(out / "data.yaml"))
    vocab = dataset_vocabulary(open_dataset(dataset).manifest)
    assert data["nc"] == len(vocab.classes) and list(data["names"].values()) == list(vocab.classes)
    if task == "pose":
        assert data["kpt_shape"] == [21, 3] and data["flip_idx"] == list(range(21))
    rows = list(open_dataset(dataset).reader().iter_rows())
    for split in sorted({row["split"] for row in rows}):
        loaded = YOLODataset(
            img_path=str(out / "images" / split), data=data, task=task, imgsz=64, augment=False, batch_size=1
        )
        expected = [row for row in rows if row["split"] == split]
        assert len(loaded.labels) == len(expected)
        assert sum(len(label["cls"]) for label in loaded.labels) == sum(len(row["instances"]) for row in expected)
        sample = loaded[0]
        assert sample["img"].shape[0] == 3


@pytest.mark.blender
@pytest.mark.parametrize("case", list(CASES))
def test_labels_match_the_dataset(case: str, yolo_export: dict) -> None:
    dataset, out, task = yolo_export[case]
    vocab = dataset_vocabulary(open_dataset(dataset).manifest)
    flags_seen: set[int] = set()
    for row in open_dataset(dataset).reader().iter_rows():
        image = out / "images" / row["split"] / f"{row['sample_id']}.png"
        lb, segments, keypoints = _verify(
            image, out / "labels" / row["split"] / f"{row['sample_id']}.txt", len(vocab.classes), task
        )
        assert np.array_equal(cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB), row["image"])
        instances = row["instances"]
        assert lb[:, 0].astype(int).tolist() == [vocab.index(i) for i in instances]
        size = np.array([row["width"], row["height"]] * 2, dtype=float)
        truth = np.array([[(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0] for x0, y0, x1, y1 in
                          (i["bbox"] for i in instances)]).reshape(-1, 4)  # fmt: skip
        if task == "segment":
            # Boxes come from the polygons, which run through boundary pixel centres: within a pixel.
            np.testing.assert_allclose(lb[:, 1:] * size, truth, atol=1.0 + 1e-3)
            for instance, polygon in zip(instances, segments, strict=True):
                region = row["mask"] == instance["id"]
                drawn = np.zeros(region.shape, np.uint8)
                cv2.fillPoly(drawn, [np.floor(polygon * size[:2]).astype(np.int32)], 1)
                drawn = drawn.astype(bool)
                assert drawn[region].mean() >= 0.97, "the polygon covers the instance"
                pieces, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
                if len(pieces) == 1:  # (pieces are joined by bridges, which a rasteriser draws 1 pixel wide)
                    assert (drawn & ~region).sum() <= max(2, 0.25 * region.sum()), "and little else"
        else:
            np.testing.assert_allclose(lb[:, 1:] * size, truth, atol=1e-3)
        if task == "pose":
            for instance, points in zip(instances, keypoints, strict=True):
                if instance["class"] != "hand":
                    assert (points == 0).all()
                    continue
                uv, visible = row["keypoints_2d"], row["keypoints_visible"]
                inside = (uv[:, 0] >= 0) & (uv[:, 0] < row["width"]) & (uv[:, 1] >= 0) & (uv[:, 1] < row["height"])
                flags = np.where(inside, np.where(visible, 2, 1), 0)
                assert points[:, 2].astype(int).tolist() == flags.tolist()
                np.testing.assert_allclose(points[flags > 0, :2] * size[:2], uv[flags > 0], atol=1e-3)
                flags_seen |= set(flags.tolist())
    if task == "pose":
        assert {1, 2} <= flags_seen


def test_an_instance_in_pieces_is_one_polygon_covering_every_piece() -> None:
    region = np.zeros((20, 30), bool)
    region[2:8, 2:9] = True  # the big piece
    region[12:15, 20:26] = True
    region[17, 3] = True  # a single pixel
    polygon = mask_polygon(region)
    drawn = np.zeros(region.shape, np.uint8)
    cv2.fillPoly(drawn, [np.floor(polygon).astype(np.int32)], 1)
    assert drawn.astype(bool)[region].all()
    assert mask_polygon(np.zeros((4, 4), bool)) is None
