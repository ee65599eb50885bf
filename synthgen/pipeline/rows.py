"""From a render result to dataset rows: the clean render (aug_index 0) and its augmented variants."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.augment import Augmenter, AugmentInput, variant_seed
from synthgen.dataset.image_codec import ImageCodec, encode_image
from synthgen.pipeline.render_pool import RenderResult
from synthgen.scenes.common.pixel_labels import (
    DEPTH_SCALE_M,
    bbox_from_mask,
    camera_labels,
    depth_to_millimetres,
    instance_mask,
    instance_records,
)
from synthgen.scenes.hands.attacks.attack_labels import ATTACK_CLASSES, attack_params_json
from synthgen.scenes.hands.keypoints import keypoint_labels
from synthgen.scenes.hands.palm_textures import palm_roi_from_keypoints
from synthgen.scenes.products.product_labels import defect_records, extend_instances, instance_labels
from synthgen.seeding import Stream, derive_rng

PRIMARY_INSTANCE_ID = 1  # the subject of a scene; ``bbox`` is its box


@dataclass
class CleanSample:
    """The clean render's arrays and labels, before encoding."""

    image: np.ndarray
    mask: np.ndarray
    depth_mm: np.ndarray
    classes: dict[int, str]
    camera_K: np.ndarray
    camera_pose: np.ndarray
    keypoints_2d: np.ndarray | None = None  # (21, 2) pixels, continuous coordinates
    keypoints_3d: np.ndarray | None = None  # (21, 3) metres, camera frame of the clean render
    keypoints_visible: np.ndarray | None = None
    nir: np.ndarray | None = None
    attack_source_sha256: str | None = None  # digest of the victim image an attack showed (worker-reported)
    defect_mask: np.ndarray | None = None  # products: defect ids (see synthgen.scenes.products.product_labels)
    products: dict[int, dict[str, Any]] | None = None  # products: per-instance pose, box and silhouette size


def instance_classes(spec: dict[str, Any]) -> dict[int, str]:
    """Instance id -> class name for the objects a spec puts in the scene."""
    if spec["scene_type"] == "hands":
        return {1: ATTACK_CLASSES.get(spec.get("attack_type"), "hand")}
    if spec["scene_type"] == "products":
        classes = {p["instance_id"]: spec["skus"][str(p["sku_id"])]["product_class"] for p in spec["products"]}
        return classes | ({1: "hand"} if "hand" in spec else {})
    return {obj["instance_id"]: obj["shape"] for obj in spec["objects"]}


def render_id(job_seed: int, render_index: int) -> str:
    return f"s{job_seed}-r{render_index:08d}"


def sample_id(job_seed: int, render_index: int, aug_index: int) -> str:
    return f"{render_id(job_seed, render_index)}-a{aug_index:03d}"


def split_group(spec: dict[str, Any]) -> int | str:
    """What must not straddle splits: ``spec["split_group"]`` ("identity:<id>", "sku:<id>") or the render."""
    return spec.get("split_group", spec["render_index"])


def assign_split(job_seed: int, group: int | str, ratios: dict[str, float]) -> str:
    """Seeded split per split group (a render index, or a name such as "identity:7"): every render of a group,
    and its variants, gets the same split. Names are keyed by their UTF-8 bytes (stable; never ``hash()``)."""
    keys = (group,) if isinstance(group, int) else (1, int.from_bytes(b"\x01" + str(group).encode(), "big"))
    draw = derive_rng(job_seed, Stream.SPLIT, *keys).uniform()
    cumulative = 0.0
    for name, ratio in ratios.items():
        cumulative += ratio
        if draw < cumulative:
            return name
    return next(reversed(ratios))


def clean_sample(result: RenderResult) -> CleanSample:
    output = result.output
    K, pose = camera_labels(output["camera"])
    sample = CleanSample(
        image=output["image"],
        mask=instance_mask(output["object_index"]),
        depth_mm=depth_to_millimetres(output["depth"]),
        classes=instance_classes(result.spec),
        camera_K=K,
        camera_pose=pose,
        nir=output.get("nir"),
        attack_source_sha256=output.get("attack_source_sha256"),
    )
    if "defect_index" in output:
        sample.defect_mask = np.asarray(output["defect_index"], dtype=np.uint8)
        sample.products = instance_labels(result.spec, output, pose, sample.mask)
    if "keypoints_world" in output:
        sample.keypoints_2d, sample.keypoints_3d, sample.keypoints_visible = keypoint_labels(
            np.array(output["keypoints_world"]), K, pose, output["depth"]
        )
        if "keypoints_depicted" in output:  # an attack image shows only what its source photo showed
            sample.keypoints_visible &= np.asarray(output["keypoints_depicted"], dtype=bool)
    return sample


def _augment(augmenter: Augmenter, sample: CleanSample, seed: int) -> tuple[CleanSample, dict[str, Any]]:
    """One augmented variant; keypoints move with the image and leave the visible set when they leave the frame."""
    # albumentations puts pixel centres on integers; synthgen's coordinates put them at +0.5.
    keypoints = None if sample.keypoints_2d is None else (sample.keypoints_2d - 0.5).astype(np.float32)
    augmented, params = augmenter.augment(
        AugmentInput(
            image=sample.image, mask=sample.mask, depth=sample.depth_mm, nir=sample.nir,
            keypoints=keypoints, keypoints_visible=sample.keypoints_visible, defect_mask=sample.defect_mask,
        ),
        seed,
    )  # fmt: skip
    variant = replace(
        sample, image=augmented.image, mask=augmented.mask, depth_mm=augmented.depth, nir=augmented.nir,
        defect_mask=augmented.defect_mask,
    )  # fmt: skip
    if augmented.keypoints is not None:
        variant.keypoints_2d = augmented.keypoints.astype(np.float64) + 0.5
        variant.keypoints_visible = augmented.keypoints_visible
    return variant, params


def _image_cell(array: np.ndarray, codec: ImageCodec) -> dict[str, Any]:
    return {"bytes": encode_image(array, codec), "path": None}


def _row(
    spec: dict[str, Any],
    sample: CleanSample,
    aug_index: int,
    split: str,
    aug_seed: int | None,
    aug_params: dict[str, Any] | None,
    spec_json: str,
    codec: ImageCodec,
) -> dict[str, Any]:
    height, width = sample.mask.shape
    seed, index = spec["job_seed"], spec["render_index"]
    return {
        "sample_id": sample_id(seed, index, aug_index),
        "render_id": render_id(seed, index),
        "render_index": index,
        "aug_index": aug_index,
        "split": split,
        "kind": spec["kind"],
        "is_live": spec.get("is_live", True),
        "attack_type": spec.get("attack_type"),
        "attack_params": attack_params_json(spec, sample.attack_source_sha256),
        "width": width,
        "height": height,
        "image": _image_cell(sample.image, codec),
        "mask": _image_cell(sample.mask, codec),
        "depth": _image_cell(sample.depth_mm, codec),
        "depth_scale": DEPTH_SCALE_M,
        "bbox": bbox_from_mask(sample.mask, PRIMARY_INSTANCE_ID),
        "instances": extend_instances(instance_records(sample.mask, sample.classes), sample.products),
        **_hand_columns(spec, sample, codec),
        **_product_columns(spec, sample, codec),
        "camera_K": sample.camera_K.tolist(),
        "camera_pose": sample.camera_pose.tolist(),
        "aug_seed": aug_seed,
        "aug_params": json.dumps(aug_params) if aug_params is not None else None,
        "spec": spec_json,
    }


def _hand_columns(spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
    has_hand = sample.keypoints_2d is not None
    return {
        "identity_id": spec.get("identity_id"),
        "handedness": spec["hand"]["side"] if "hand" in spec else None,
        "pose_family": spec["hand"]["pose"]["family"] if "hand" in spec else None,
        "keypoints_2d": sample.keypoints_2d.tolist() if has_hand else None,
        "keypoints_3d": sample.keypoints_3d.tolist() if has_hand else None,
        "keypoints_visible": sample.keypoints_visible.tolist() if has_hand else None,
        "palm_roi": palm_roi_from_keypoints(sample.keypoints_2d) if has_hand else None,
        "nir": _image_cell(sample.nir, codec) if sample.nir is not None else None,
    }


def _product_columns(spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
    has_products = sample.defect_mask is not None
    return {
        "product_class": spec.get("product_class"),
        "sku_id": spec.get("sku_id"),
        "defects": defect_records(spec, sample.defect_mask) if has_products else None,
        "defect_mask": _image_cell(sample.defect_mask, codec) if has_products else None,
    }


def rows_for_render(
    result: RenderResult,
    variants: int,
    augmenter: Augmenter | None,
    split_ratios: dict[str, float],
    image_codec: ImageCodec = "png",
) -> list[dict[str, Any]]:
    """The clean row plus ``variants`` augmented rows, each seeded from (job seed, render index, aug index)."""
    spec = result.spec
    sample = clean_sample(result)
    split = assign_split(spec["job_seed"], split_group(spec), split_ratios)
    spec_json = json.dumps(spec, sort_keys=True)
    rows = [_row(spec, sample, 0, split, None, None, spec_json, image_codec)]
    if variants and augmenter is None:
        raise ValueError("variants > 0 needs an augmenter")
    for aug_index in range(1, variants + 1):
        seed = variant_seed(spec["job_seed"], spec["render_index"], aug_index)
        variant, params = _augment(augmenter, sample, seed)
        rows.append(_row(spec, variant, aug_index, split, seed, params, spec_json, image_codec))
    return rows
