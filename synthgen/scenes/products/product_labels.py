"""Product labels from a render result (pure numpy): per-instance pose, 3D box, visible fraction; defects."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.scenes.common.pixel_labels import bbox_from_mask
from synthgen.scenes.products.geometry import box_corners


def defect_list(spec: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(defect id, instance id, type) in the order the worker numbers them in the defect mask."""
    found = []
    for item in spec["products"]:
        if item.get("defect"):
            found.append((len(found) + 1, item["instance_id"], item["defect"]["type"]))
    return found


def instance_labels(
    spec: dict[str, Any], output: dict[str, Any], camera_pose: np.ndarray, mask: np.ndarray
) -> dict[int, dict[str, Any]]:
    """Per instance id: sku_id, object_pose (object-to-camera, OpenCV axes), box3d (8 corners, camera frame)
    and visible_fraction: the clean ``mask``'s pixels over the pixels its silhouette would cover unoccluded
    (the worker's rasterisation), capped at 1 (an edge pixel may differ); None when it would cover none."""
    world_to_camera = np.linalg.inv(camera_pose)
    counts = np.bincount(mask.ravel(), minlength=256)
    rendered = {i["instance_id"]: i for i in output.get("instances", [])}
    labels = {}
    for item in spec["products"]:
        # Blender's own matrix (a held product is placed by the worker, into the posed hand).
        matrix = np.array(rendered.get(item["instance_id"], item).get("matrix_world", item["matrix_world"]))
        pose = world_to_camera @ matrix
        low, high = item["bounds_local"]
        corners = box_corners(low, high) @ pose[:3, :3].T + pose[:3, 3]
        total = int(rendered.get(item["instance_id"], {}).get("unoccluded_pixels", 0))
        labels[item["instance_id"]] = {
            "sku_id": item["sku_id"],
            "object_pose": pose.tolist(),
            "box3d": corners.tolist(),
            "visible_fraction": min(1.0, counts[item["instance_id"]] / total) if total else None,
        }
    return labels


def defect_records(spec: dict[str, Any], defect_mask: np.ndarray) -> list[dict[str, Any]]:
    """One record per defect in the scene, visible or not (pixels 0 and bbox null when hidden)."""
    counts = np.bincount(defect_mask.ravel(), minlength=256)
    return [
        {"id": k, "type": kind, "instance": instance, "pixels": int(counts[k]), "bbox": bbox_from_mask(defect_mask, k)}
        for k, instance, kind in defect_list(spec)
    ]
