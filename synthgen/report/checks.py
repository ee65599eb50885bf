"""Warnings a person should see before training on a dataset: empty masks, boxes outside the image, keypoints
off the hand or the image, identities with too few samples or in two splits, empty splits, duplicate ids."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pyarrow as pa

from synthgen.dataset.image_codec import decode_image
from synthgen.splits import dataset_split_name

EXAMPLES = 5
BOX_TOLERANCE_PX = 0.01
KEYPOINT_MASK_TOLERANCE_PX = 2  # keypoints are joint centres; anti-aliased mask edges may miss them by a pixel
MAX_MASKS_CHECKED = 2000


@dataclass
class Finding:
    severity: str  # "error" (the data is wrong) or "warning" (worth a look)
    title: str
    count: int
    examples: list[str] = field(default_factory=list)
    detail: str = ""

    def line(self) -> str:
        shown = f" (e.g. {', '.join(self.examples[:EXAMPLES])})" if self.examples else ""
        return f"{self.severity}: {self.title}: {self.count}{shown}{'; ' + self.detail if self.detail else ''}"


def _finding(severity: str, title: str, hits: list[str], detail: str = "") -> Finding | None:
    return Finding(severity, title, len(hits), hits[:EXAMPLES], detail) if hits else None


def _box_outside(box: list[float] | None, width: int, height: int) -> bool:
    if box is None:
        return False
    if len(box) != 4 or not all(math.isfinite(c) for c in box):
        return True
    x0, y0, x1, y1 = box
    t = BOX_TOLERANCE_PX
    return x0 < -t or y0 < -t or x1 > width + t or y1 > height + t or x1 <= x0 or y1 <= y0


def _column(labels: pa.Table, name: str) -> list[Any] | None:
    return labels.column(name).to_pylist() if name in labels.column_names else None


def _keypoints(value: Any) -> np.ndarray:
    points = np.asarray(value, dtype=float)
    return points.reshape(-1, points.shape[-1] if points.ndim == 2 else 2)[:, :2]


def check_labels(
    labels: pa.Table,
    manifest: dict[str, Any],
    mask_reader: Callable[[list[int]], Iterable[bytes | None]] | None = None,
    min_identity_renders: int = 5,
) -> list[Finding]:
    """Findings over a label table (non-image columns, in dataset order).

    ``mask_reader(positions)`` returns the encoded bytes of the masks of those rows; it is used to check that
    visible keypoints lie on the subject (at most ``MAX_MASKS_CHECKED`` rows, spread over the dataset).
    """
    ids = _column(labels, "sample_id") or [str(i) for i in range(labels.num_rows)]
    widths, heights = _column(labels, "width"), _column(labels, "height")
    findings: list[Finding | None] = []
    if not manifest.get("complete", True):
        findings.append(Finding("warning", "the run that wrote this dataset has not finished", 1))
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    findings.append(_finding("error", "duplicate sample_id", duplicates))

    instances = _column(labels, "instances")
    if instances is not None:
        findings.append(
            _finding(
                "warning", "empty masks (no labelled pixel)", [i for i, v in zip(ids, instances, strict=True) if not v]
            )
        )
    bboxes = _column(labels, "bbox")
    if bboxes is not None and instances is not None:
        hidden = [i for i, b, v in zip(ids, bboxes, instances, strict=True) if b is None and v]
        findings.append(_finding("warning", "subject not visible (other instances are)", hidden))
    if widths is not None and heights is not None:
        outside = []
        rois = _column(labels, "palm_roi") or [None] * len(ids)
        for n, sample in enumerate(ids):
            boxes = [
                bboxes[n] if bboxes else None,
                *(inst["bbox"] for inst in (instances[n] if instances else []) or []),
            ]
            roi = rois[n]
            if roi is not None and len(roi) == 4:
                boxes.append(roi)
            if any(_box_outside(b, widths[n], heights[n]) for b in boxes):
                outside.append(sample)
        findings.append(_finding("error", "boxes outside the image (or empty)", outside))
        findings += _keypoint_findings(labels, ids, widths, heights, mask_reader)
    findings += _group_findings(labels, manifest, min_identity_renders)
    return [f for f in findings if f is not None]


def _keypoint_findings(
    labels: pa.Table,
    ids: list[str],
    widths: list[int],
    heights: list[int],
    mask_reader: Callable[[list[int]], Iterable[bytes | None]] | None,
) -> list[Finding | None]:
    keypoints = _column(labels, "keypoints_2d")
    if keypoints is None:
        return []
    visible = _column(labels, "keypoints_visible") or [None] * len(ids)
    with_points = [n for n, k in enumerate(keypoints) if k]
    off_image: list[str] = []
    for n in with_points:
        points = _keypoints(keypoints[n])
        seen = np.asarray(visible[n], dtype=bool) if visible[n] is not None else np.ones(len(points), bool)
        u, v = points[seen, 0], points[seen, 1]
        if ((u < 0) | (v < 0) | (u >= widths[n]) | (v >= heights[n])).any():
            off_image.append(ids[n])
    results: list[Finding | None] = [_finding("error", "visible keypoints outside the image", off_image)]
    if mask_reader is None or not with_points:
        return results
    if len(with_points) > MAX_MASKS_CHECKED:
        picks = np.linspace(0, len(with_points) - 1, MAX_MASKS_CHECKED).round().astype(int)
        with_points = [with_points[i] for i in np.unique(picks)]
    off_mask: list[str] = []
    points_off = 0
    kernel = np.ones((2 * KEYPOINT_MASK_TOLERANCE_PX + 1,) * 2, np.uint8)
    for n, png in zip(with_points, mask_reader(with_points), strict=True):
        if png is None:
            continue
        subject = cv2.dilate((decode_image(png) > 0).astype(np.uint8), kernel) > 0
        points = _keypoints(keypoints[n])
        seen = np.asarray(visible[n], dtype=bool) if visible[n] is not None else np.ones(len(points), bool)
        cols, rows = np.floor(points[seen, 0]).astype(int), np.floor(points[seen, 1]).astype(int)
        inside = (cols >= 0) & (rows >= 0) & (cols < subject.shape[1]) & (rows < subject.shape[0])
        misses = int((~subject[rows[inside], cols[inside]]).sum())
        if misses:
            off_mask.append(ids[n])
            points_off += misses
    detail = f"{points_off} visible keypoint(s) on background, {len(with_points)} rows checked"
    results.append(_finding("error", "visible keypoints outside the mask", off_mask, detail))
    return results


def _group_findings(labels: pa.Table, manifest: dict[str, Any], min_renders: int) -> list[Finding | None]:
    splits = _column(labels, "split")
    aug = _column(labels, "aug_index") or [0] * labels.num_rows
    results: list[Finding | None] = []
    if splits is not None:
        ratios = manifest.get("config", {}).get("dataset", {}).get("splits", {})
        present = set(splits)
        empty = [name for name, ratio in ratios.items() if ratio > 0 and dataset_split_name(name) not in present]
        results.append(_finding("warning", "configured splits with no rows", empty))
    for column, noun in (("identity_id", "identities"), ("sku_id", "products")):
        groups = _column(labels, column)
        if groups is None or splits is None:
            continue
        split_of: dict[Any, set[str]] = defaultdict(set)
        renders: Counter[Any] = Counter()
        for group, split, a in zip(groups, splits, aug, strict=True):
            if group is None:
                continue
            split_of[group].add(split)
            renders[group] += a == 0
        straddling = [f"{g} ({'/'.join(sorted(s))})" for g, s in sorted(split_of.items()) if len(s) > 1]
        results.append(_finding("error", f"{noun} in more than one split", straddling))
        few = [f"{g} ({n})" for g, n in sorted(renders.items()) if n < min_renders]
        results.append(
            _finding("warning", f"{noun} with fewer than {min_renders} renders", few, f"of {len(renders)} {noun}")
        )
    return results
