"""YOLO export in the Ultralytics layout: ``images/<split>/``, ``labels/<split>/`` (one .txt per image), ``data.yaml``.

One task per export (``task``): ``detect`` (``cls xc yc w h``), ``segment`` (``cls x1 y1 x2 y2 ...``: one polygon
per instance) or ``pose`` (``cls xc yc w h`` then 21 ``x y v`` keypoints, ``kpt_shape: [21, 3]``). All values
are normalised by the image's width and height, in synthgen's continuous pixel frame (a box's ``xc`` is
(x_min + x_max) / 2 / width, exactly the dataset's box).

- Polygons run through the centres of an instance's boundary pixels (``cv2.findContours``). An instance the
  mask shows in several pieces (an occluded product) is one polygon: the pieces are joined by zero-width bridges
  at their nearest points, as Ultralytics' own COCO converter does; a piece of one or two pixels gets a point
  inside its first pixel, so every polygon has at least 3 points and stays on the instance's pixels.
- Keypoints (``pose``): the hand's 21 points with COCO's flags (2 visible, 1 inside the image but hidden, 0
  outside: then x = y = 0). Other instances (attack instruments, products) carry 21 points with flag 0.
  ``flip_idx`` is the identity: a horizontal flip makes a left hand a right one, each point keeps its name.
- ``data.yaml`` names every class (the same list for every split: synthgen.export.categories). Ultralytics
  needs a ``train`` and a ``val`` entry: a split the dataset lacks points at one it has (the file says so).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import yaml

from synthgen.export.categories import Vocabulary
from synthgen.export.coco import keypoint_flags
from synthgen.export.output import ExportSummary, ProgressCallback, encode_picture, write_bytes, write_text
from synthgen.export.rows import ExportSource
from synthgen.scenes.hands.keypoints import KEYPOINT_NAMES

log = logging.getLogger(__name__)

YoloTask = Literal["detect", "segment", "pose"]
NUM_KEYPOINTS = len(KEYPOINT_NAMES)


def default_task(vocab: Vocabulary) -> YoloTask:
    """``pose`` for hand datasets, ``segment`` otherwise."""
    return "pose" if vocab.scene_type == "hands" else "segment"


def _piece_outline(contour: np.ndarray) -> np.ndarray:
    """(n >= 3, 2) polygon in continuous pixel coordinates of one contour (pixel indices from OpenCV)."""
    points = contour.reshape(-1, 2).astype(np.float64) + 0.5  # pixel centres
    if len(points) < 3:  # 1-2 pixels: add a point inside the first pixel, so the polygon stays on its pixels
        points = np.concatenate([points, points[:1] + np.array([0.25, 0.25])])
    if len(points) < 3:
        points = np.concatenate([points, points[:1] + np.array([0.25, 0.0])])
    return points


def mask_polygon(region: np.ndarray) -> np.ndarray | None:
    """One polygon (n, 2), continuous pixel coordinates, outlining a boolean mask; None when it is empty."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    pieces = sorted((_piece_outline(c) for c in contours), key=len, reverse=True)
    if not pieces:
        return None
    path = pieces[0]
    for piece in pieces[1:]:
        # Bridge from the path's nearest point to the piece, round the piece, and back along the same line.
        distances = np.linalg.norm(path[:, None, :] - piece[None, :, :], axis=2)
        i, j = np.unravel_index(np.argmin(distances), distances.shape)
        loop = np.concatenate([np.roll(piece, -j, axis=0), piece[j : j + 1]])
        path = np.concatenate([path[: i + 1], loop, path[i:]])
    return path


def _fmt(values: Any) -> str:
    return " ".join(f"{v:.6f}" for v in np.asarray(values, dtype=np.float64).ravel())


def label_lines(row: dict[str, Any], vocab: Vocabulary, task: YoloTask) -> list[str]:
    """The label file lines of one decoded row."""
    width, height = int(row["width"]), int(row["height"])
    scale = np.array([width, height], dtype=np.float64)
    lines = []
    for instance in row["instances"] or []:
        index = vocab.index(instance)
        x0, y0, x1, y1 = instance["bbox"]
        box = [(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height]
        if task == "segment":
            polygon = mask_polygon(row["mask"] == instance["id"])
            if polygon is None:
                continue
            lines.append(f"{index} {_fmt(polygon / scale)}")
        elif task == "pose":
            points = np.zeros((NUM_KEYPOINTS, 3))
            if instance["class"] == "hand" and row.get("keypoints_2d") is not None:
                xy, flags = keypoint_flags(row)
                points[:, :2] = np.where(flags[:, None] > 0, (xy + 0.5) / scale, 0.0)
                points[:, 2] = flags
            triplets = " ".join(f"{x:.6f} {y:.6f} {int(v)}" for x, y, v in points)
            lines.append(f"{index} {_fmt(box)} {triplets}")
        else:
            lines.append(f"{index} {_fmt(box)}")
    return lines


def data_yaml(out: Path, vocab: Vocabulary, splits: list[str], task: YoloTask) -> str:
    """The dataset YAML Ultralytics trains from (``yolo train data=OUT/data.yaml``)."""
    entries: dict[str, Any] = {"path": str(out)}
    notes = []
    for key, split in (("train", "train"), ("val", "validation"), ("test", "test")):  # Ultralytics key, split
        if split in splits:
            entries[key] = f"images/{split}"
        elif key in ("train", "val"):
            stand_in = "validation" if key == "train" and "validation" in splits else splits[0]
            entries[key] = f"images/{stand_in}"
            notes.append(f"# {key}: the dataset has no {split} rows; this points at images/{stand_in}")
    entries["nc"] = len(vocab.classes)
    entries["names"] = dict(enumerate(vocab.classes))
    if task == "pose":
        entries["kpt_shape"] = [NUM_KEYPOINTS, 3]
        entries["flip_idx"] = list(range(NUM_KEYPOINTS))
        entries["kpt_names"] = {vocab.classes.index("hand"): list(KEYPOINT_NAMES)}
    head = [
        f"# synthgen YOLO export ({task}); 'path' is this folder: change it if you move the folder.",
        *notes,
    ]
    return "\n".join(head) + "\n" + yaml.safe_dump(entries, sort_keys=False, default_flow_style=None)


def write_yolo(
    source: ExportSource,
    out: Path,
    on_progress: ProgressCallback | None = None,
    task: YoloTask | None = None,
    image_format: str = "png",
) -> ExportSummary:
    """Writes ``source`` as an Ultralytics YOLO tree into the (checked, empty) folder ``out``."""
    task = task or default_task(source.vocabulary)
    summary = ExportSummary(f"yolo-{task}", out)
    for done, row in enumerate(source.iter_rows(), start=1):
        split, name = row["split"], row["sample_id"]
        lines = label_lines(row, source.vocabulary, task)
        write_bytes(out / "images" / split / f"{name}.{image_format}", encode_picture(row["image"], image_format))
        write_text(out / "labels" / split / f"{name}.txt", "".join(line + "\n" for line in lines))
        summary.rows[split] = summary.rows.get(split, 0) + 1
        if on_progress is not None:
            on_progress(done, source.total_rows)
    summary.files.append(out / "data.yaml")
    write_text(out / "data.yaml", data_yaml(out, source.vocabulary, source.splits, task))
    log.info("yolo %s: %s", task, ", ".join(f"{s} {n} images" for s, n in summary.rows.items()))
    return summary
