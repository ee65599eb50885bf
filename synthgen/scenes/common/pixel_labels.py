"""Label post-processing on render passes (pure numpy: tested without Blender)."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.scenes.common.camera_math import blender_to_opencv_pose, intrinsics

DEPTH_SCALE_M = 0.001  # depth PNGs hold millimetres


def bbox_from_mask(mask: np.ndarray, instance_id: int | None = None) -> list[float] | None:
    """[x_min, y_min, x_max, y_max] in pixel-edge coordinates (x_max = last column + 1); None if empty.

    With ``instance_id`` None every non-zero pixel counts.
    """
    hits = mask != 0 if instance_id is None else mask == instance_id
    rows = np.flatnonzero(hits.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(hits.any(axis=0))
    return [float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)]


def instance_mask(object_index: np.ndarray) -> np.ndarray:
    """Cycles' object-index pass to a uint8 instance mask (0 = background)."""
    if object_index.min() < 0 or object_index.max() > 255:
        raise ValueError(f"instance ids must lie in 0..255, got {object_index.min()}..{object_index.max()}")
    return object_index.astype(np.uint8)


def depth_to_millimetres(depth_m: np.ndarray) -> np.ndarray:
    """Planar depth in metres (0 = no surface) to uint16 millimetres; beyond 65.535 m is stored as 0."""
    millimetres = np.rint(np.asarray(depth_m, dtype=np.float64) / DEPTH_SCALE_M)
    millimetres[(millimetres > np.iinfo(np.uint16).max) | (millimetres < 0)] = 0
    return millimetres.astype(np.uint16)


def camera_labels(camera: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(K, camera_pose) from Blender's own camera record; pose is camera-to-world in the OpenCV convention."""
    width, height = camera["resolution"]
    K = intrinsics(
        camera["lens_mm"],
        camera["sensor_width_mm"],
        camera["sensor_height_mm"],
        camera["sensor_fit"],
        width,
        height,
        camera["shift_x"],
        camera["shift_y"],
    )
    return K, blender_to_opencv_pose(np.array(camera["matrix_world"]))


def instance_records(mask: np.ndarray, classes: dict[int, str]) -> list[dict[str, Any]]:
    """One record per instance id in ``classes`` that has pixels: id, class, bbox and pixel count."""
    counts = np.bincount(mask.ravel(), minlength=256)
    records = []
    for instance_id, name in sorted(classes.items()):
        pixels = int(counts[instance_id])
        if pixels == 0:
            continue
        records.append({"id": instance_id, "class": name, "bbox": bbox_from_mask(mask, instance_id), "pixels": pixels})
    return records


def extend_instances(records: list[dict[str, Any]], fields: dict[int, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``instance_records`` with extra per-instance fields (products: sku_id, object_pose, box3d,
    visible_fraction) added to the records of the instances ``fields`` names."""
    if fields is None:
        return records
    return [record | fields.get(record["id"], {}) for record in records]
