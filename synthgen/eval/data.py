"""Rows of a dataset as arrays for the evaluation tasks: palm crops aligned from the keypoints, whole frames,
labels and the groups results are broken down by (attack type, pose family, skin type)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyarrow.compute as pc

from synthgen.data import open_dataset
from synthgen.data.dataset import SynthgenDataset
from synthgen.data.filters import SPLIT_ALIASES
from synthgen.errors import UsageError
from synthgen.scenes.hands.palm_textures import palm_roi_rotated, palm_surface_keypoints

log = logging.getLogger(__name__)

MODALITIES = ("rgb", "nir", "both")


def as_dataset(dataset: SynthgenDataset | str | Path) -> SynthgenDataset:
    return dataset if isinstance(dataset, SynthgenDataset) else open_dataset(dataset)


def parse_modalities(text: str | Sequence[str], has_nir: bool, flag: str = "--modalities") -> list[str]:
    names = [m.strip() for m in text.split(",")] if isinstance(text, str) else list(text)
    for name in names:
        if name not in MODALITIES:
            raise UsageError(f"{flag}: {name!r} is not one of {', '.join(MODALITIES)}")
        if name != "rgb" and not has_nir:
            raise UsageError(f"{flag}: {name!r} needs the nir column, which this dataset does not have")
    if not names:
        raise UsageError(f"{flag}: give at least one of rgb, nir, both")
    return names


def palm_crop_matrix(keypoints_2d: Any, size: int) -> np.ndarray:
    """2x3 affine map from crop pixels to image pixels (OpenCV centre convention) for the palm ROI square of
    :func:`palm_roi_rotated`, rotated so the fingers point up: the same palm region whatever the hand's roll."""
    centre, side, angle = palm_roi_rotated(keypoints_2d)
    up = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])  # wrist -> fingers, image axes
    right = np.array([-up[1], up[0]])
    k = side / size
    # image(x', y') = centre + k (x' + 0.5 - size/2) right - k (y' + 0.5 - size/2) up, continuous pixel coordinates;
    # OpenCV's pixel centres are at integers, so 0.5 comes off the result.
    offset = centre + k * (0.5 - size / 2) * right - k * (0.5 - size / 2) * up - 0.5
    return np.array([[k * right[0], -k * up[0], offset[0]], [k * right[1], -k * up[1], offset[1]]])


def palm_crop(image: np.ndarray, keypoints_2d: Any, size: int) -> np.ndarray:
    """The aligned palm ROI of ``image`` (H, W) or (H, W, C) resampled to ``size`` x ``size`` (border: replicate)."""
    matrix = palm_crop_matrix(keypoints_2d, size)
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def alignment_keypoints(row: dict[str, Any]) -> np.ndarray:
    """The 2-D keypoints the palm crop is placed on: moved from the joint centres to the palm skin over them when
    the row has camera-frame 3-D keypoints, intrinsics and handedness (a tilted camera sees the skin shifted from
    the joints by parallax, :func:`palm_surface_keypoints`); the 2-D keypoints as they are otherwise."""
    kp = np.asarray(row["keypoints_2d"], np.float64)
    if row.get("keypoints_3d") is None or row.get("camera_K") is None or row.get("handedness") not in ("left", "right"):
        return kp
    return palm_surface_keypoints(kp, row["keypoints_3d"], row["camera_K"], row["handedness"])


def resized(image: np.ndarray, size: int) -> np.ndarray:
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


@dataclass
class Samples:
    """Rows of one split as arrays: ``images`` maps a modality to (N, C, S, S) float32 in 0..1; the rest are (N,)."""

    images: dict[str, np.ndarray]
    sample_id: np.ndarray
    identity: np.ndarray
    attack_type: np.ndarray  # "" for bona fide (live) rows
    pose_family: np.ndarray
    skin_type: np.ndarray  # Fitzpatrick type as text ("1".."6"), "unknown" without one
    keypoints: np.ndarray | None = None  # (N, 21, 2) in the images' pixels (after resizing)
    visible: np.ndarray | None = None  # (N, 21) bool
    reference: np.ndarray | None = None  # (N,) PCK reference length in the images' pixels
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sample_id)

    def take(self, index: np.ndarray) -> Samples:
        pick = lambda a: None if a is None else a[index]  # noqa: E731
        return Samples(
            {k: v[index] for k, v in self.images.items()},
            self.sample_id[index],
            self.identity[index],
            self.attack_type[index],
            self.pose_family[index],
            self.skin_type[index],
            pick(self.keypoints),
            pick(self.visible),
            pick(self.reference),
        )


def stack_modality(rgb: np.ndarray | None, nir: np.ndarray | None, modality: str) -> np.ndarray:
    """(N, C, S, S) input of one modality from (N, 3, S, S) RGB and (N, 1, S, S) NIR."""
    if modality == "rgb":
        return rgb
    if modality == "nir":
        return nir
    return np.concatenate([rgb, nir], axis=1)


def _skin_type(spec_json: str | None) -> str:
    if not spec_json:
        return "unknown"
    skin = (json.loads(spec_json).get("identity") or {}).get("skin") or {}
    value = skin.get("fitzpatrick")
    return str(value) if value is not None else "unknown"


def load_hand_samples(
    dataset: SynthgenDataset,
    splits: Sequence[str],
    size: int,
    crop: str,
    live_only: bool = False,
    clean_only: bool = False,
    with_nir: bool = True,
) -> Samples:
    """Hand rows of ``splits`` (``kind`` = hand) as arrays.

    ``crop`` = "palm": the aligned palm ROI from the 21 keypoints; "frame": the whole frame resized (keypoints
    scaled with it). ``clean_only`` keeps ``aug_index`` 0 (evaluation); training takes augmented variants too.
    """
    view = dataset.filter(split=list(splits), kind="hand", is_live=True if live_only else None)
    if clean_only:
        view = view.filter(expression=pc.field("aug_index") == 0)
    columns = ["sample_id", "identity_id", "attack_type", "pose_family", "keypoints_2d", "keypoints_visible", "bbox"]
    columns += ["image", "spec"] + (["nir"] if with_nir else [])
    if crop == "palm":  # what the palm-surface alignment needs, when the dataset has it
        columns += [c for c in ("keypoints_3d", "camera_K", "handedness") if c in dataset.columns]
    rgb, nir, meta = [], [], []
    keypoints, visible, reference = [], [], []
    for row in view.reader(columns).iter_rows():
        kp = row["keypoints_2d"]
        if kp is None:
            continue
        image = row["image"]
        height, width = image.shape[:2]
        if crop == "palm":
            on_skin = alignment_keypoints(row)
            rgb.append(palm_crop(image, on_skin, size))
            if with_nir:
                nir.append(palm_crop(row["nir"], on_skin, size))
            keypoints.append(kp)  # not rescaled: unused with palm crops
        else:
            rgb.append(resized(image, size))
            if with_nir:
                nir.append(resized(row["nir"], size))
            keypoints.append(kp * np.array([size / width, size / height], np.float32))
        box = row["bbox"]
        # PCK reference: the hand box's longest side (resized like the image), the usual hand-keypoint norm.
        side = max(box[2] - box[0], box[3] - box[1]) * size / max(width, height) if box is not None else size
        reference.append(side)
        visible.append(row["keypoints_visible"])
        meta.append((row["sample_id"], row["identity_id"], row["attack_type"] or "", row["pose_family"] or "", row))
    if not meta:
        raise UsageError(f"dataset {dataset.source.location}: no hand rows in split(s) {', '.join(splits)}")
    images = {"rgb": np.stack(rgb).transpose(0, 3, 1, 2).astype(np.float32) / 255.0}
    if with_nir:
        images["nir"] = np.stack(nir)[:, None].astype(np.float32) / 255.0
    return Samples(
        images,
        np.array([m[0] for m in meta]),
        np.array([m[1] for m in meta], np.int64),
        np.array([m[2] for m in meta], object),
        np.array([m[3] for m in meta], object),
        np.array([_skin_type(m[4]["spec"]) for m in meta], object),
        np.stack(keypoints).astype(np.float32),
        np.stack(visible).astype(bool),
        np.array(reference, np.float32),
    )


def split_names(dataset: SynthgenDataset) -> set[str]:
    table = dataset.to_arrow(columns=["split"])
    return set(table.column("split").unique().to_pylist())


def check_splits(dataset: SynthgenDataset, train: Sequence[str], test: Sequence[str]) -> None:
    present = {SPLIT_ALIASES.get(name, name) for name in split_names(dataset)}
    train = [SPLIT_ALIASES.get(name, name) for name in train]
    test = [SPLIT_ALIASES.get(name, name) for name in test]
    for name in [*train, *test]:
        if name not in ("train", "validation", "test"):
            raise UsageError(f"--test-splits: {name!r} is not train, validation (val) or test")
    if set(train) & set(test):
        raise UsageError(f"--test-splits: {', '.join(sorted(set(train) & set(test)))} is also the training split")
    if not set(test) & present:
        raise UsageError(f"dataset has no rows in the test split(s) {', '.join(test)} (it has {sorted(present)})")
    if not set(train) & present:
        raise UsageError(f"dataset has no rows in the train split (it has {sorted(present)})")
