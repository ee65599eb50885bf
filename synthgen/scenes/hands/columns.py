"""The hand columns of a dataset row: identity, handedness, pose family, 21 keypoints, palm region, NIR image.

Filled for every row whose render has a hand (hands scenes and hand-held products), null otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from synthgen.dataset.columns import Column, fixed_list, image_column, list_of, scalar_column, value
from synthgen.dataset.image_codec import ImageCodec, image_cell
from synthgen.scenes.hands.accessories import ACCESSORY_TYPES, worn
from synthgen.scenes.hands.keypoints import keypoint_labels
from synthgen.scenes.hands.palm_textures import palm_roi_from_keypoints

if TYPE_CHECKING:
    from synthgen.pipeline.rows import CleanSample

# Keypoints in the 21-point order of docs/dataset-format.md.
HAND_COLUMNS: tuple[Column, ...] = (
    scalar_column("identity_id", pa.int64(), "int64"),
    scalar_column("handedness", pa.string(), "string"),
    scalar_column("pose_family", pa.string(), "string"),
    Column("keypoints_2d", pa.list_(pa.list_(pa.float32(), 2)), list_of(fixed_list(value("float32"), 2))),
    Column("keypoints_3d", pa.list_(pa.list_(pa.float32(), 3)), list_of(fixed_list(value("float32"), 3))),
    Column("keypoints_visible", pa.list_(pa.bool_()), list_of(value("bool"))),
    Column("palm_roi", pa.list_(pa.float32()), list_of(value("float32"))),
    image_column("nir"),
    # What the hand wears (parallel lists; docs/dataset-format.md "Accessories and skin marks").
    Column("accessories", pa.list_(pa.string()), list_of(value("string"))),
    Column("accessory_where", pa.list_(pa.string()), list_of(value("string"))),
    Column("accessory_ids", pa.list_(pa.int32()), list_of(value("int32"))),
    Column("skin_marks", pa.list_(pa.string()), list_of(value("string"))),
    Column("skin_mark_where", pa.list_(pa.string()), list_of(value("string"))),
    scalar_column("nail_polish", pa.bool_(), "bool"),
    scalar_column("sleeve_fabric", pa.string(), "string"),
)


def read_hand_labels(output: dict[str, Any], sample: CleanSample) -> None:
    """Keypoints (2D, camera-frame 3D, visibility) and the NIR capture, when the render has a hand."""
    sample.nir = output.get("nir")
    if "keypoints_world" in output:
        sample.keypoints_2d, sample.keypoints_3d, sample.keypoints_visible = keypoint_labels(
            np.array(output["keypoints_world"]), sample.camera_K, sample.camera_pose, output["depth"]
        )
        if "keypoints_depicted" in output:  # an attack image shows only what its source photo showed
            sample.keypoints_visible &= np.asarray(output["keypoints_depicted"], dtype=bool)
        sample.keypoints_visible &= ~covered_by_accessory(sample.keypoints_2d, sample.mask, sample.classes)


def covered_by_accessory(keypoints_2d: np.ndarray, mask: np.ndarray, classes: dict[int, str]) -> np.ndarray:
    """Which keypoints project onto a pixel of a worn item (a ring, watch, bracelet or band-aid hides the skin
    there): they are not visible, so every visible keypoint stays on the hand's own mask."""
    worn = [i for i, name in classes.items() if name in ACCESSORY_TYPES]
    height, width = mask.shape
    cols = np.floor(keypoints_2d[:, 0]).astype(int)
    rows = np.floor(keypoints_2d[:, 1]).astype(int)
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    covered = np.zeros(len(keypoints_2d), dtype=bool)
    if worn:
        covered[inside] = np.isin(mask[rows[inside], cols[inside]], worn)
    return covered


def hand_row_values(spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
    has_hand = sample.keypoints_2d is not None
    return {
        "identity_id": spec.get("identity_id"),
        "handedness": spec["hand"]["side"] if "hand" in spec else None,
        "pose_family": spec["hand"]["pose"]["family"] if "hand" in spec else None,
        "keypoints_2d": sample.keypoints_2d.tolist() if has_hand else None,
        "keypoints_3d": sample.keypoints_3d.tolist() if has_hand else None,
        "keypoints_visible": sample.keypoints_visible.tolist() if has_hand else None,
        "palm_roi": palm_roi_from_keypoints(sample.keypoints_2d) if has_hand else None,
        "nir": image_cell(sample.nir, codec) if sample.nir is not None else None,
        **_accessory_values(spec),
    }


def _accessory_values(spec: dict[str, Any]) -> dict[str, Any]:
    """The worn items and skin marks of a live hand (empty lists without any, null for rows with no hand)."""
    if "hand" not in spec or "identity" not in spec:
        return dict.fromkeys(("accessories", "accessory_where", "accessory_ids", "skin_marks", "skin_mark_where",
                              "nail_polish", "sleeve_fabric"))  # fmt: skip
    wears = worn(spec)
    items, marks = wears["items"], wears["marks"]
    return {
        "accessories": [item["type"] for item in items],
        "accessory_where": [item["where"] for item in items],
        "accessory_ids": [int(item["instance_id"]) for item in items],
        "skin_marks": [mark["type"] for mark in marks],
        "skin_mark_where": [mark["where"] for mark in marks],
        "nail_polish": spec["identity"]["nails"].get("polish") is not None,
        "sleeve_fabric": wears["sleeve"]["fabric"] if wears.get("sleeve") else None,
    }
