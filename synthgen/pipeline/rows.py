"""From a render result to dataset rows: the clean render (aug_index 0) and its augmented variants."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.augment import Augmenter, AugmentInput, variant_seed
from synthgen.dataset.image_codec import ImageCodec, image_cell
from synthgen.pipeline.camera_post import apply_camera_model
from synthgen.pipeline.render_pool import RenderResult
from synthgen.scenes.common.camera_columns import camera_model_row_values
from synthgen.scenes.common.pixel_labels import (
    DEPTH_SCALE_M,
    bbox_from_mask,
    camera_labels,
    depth_to_millimetres,
    extend_instances,
    instance_mask,
    instance_records,
)
from synthgen.scenes.registry import scene_kind, scene_kinds
from synthgen.splits import assign_split, dataset_split_name, split_group

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
    lens_distortion: list[float] | None = None  # OpenCV k1, k2, p1, p2, k3 when the camera model distorted it
    camera_measured: dict[str, Any] | None = None  # the worker's metered_ev, exposure_ev, focus_distance_m
    normals: np.ndarray | None = None  # opt-in: camera-frame normals, RGB = (n + 1) / 2 * 255 (clean render only)
    part_mask: np.ndarray | None = None  # opt-in: part ids (synthgen.scenes.common.parts; clean render only)
    palm_crease: np.ndarray | None = None  # opt-in: the palm's crease map in image space (clean render only)
    palm_vein: np.ndarray | None = None  # opt-in: the palm's vein map in image space (clean render only)


def instance_classes(spec: dict[str, Any]) -> dict[int, str]:
    """Instance id -> class name for the objects a spec puts in the scene (its scene kind knows them)."""
    return scene_kind(spec["scene_type"]).instance_classes(spec)


def render_id(job_seed: int, render_index: int) -> str:
    return f"s{job_seed}-r{render_index:08d}"


def sample_id(job_seed: int, render_index: int, aug_index: int) -> str:
    return f"{render_id(job_seed, render_index)}-a{aug_index:03d}"


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
        attack_source_sha256=output.get("attack_source_sha256"),
        camera_measured=output.get("camera_measured"),
        normals=output.get("normals"),
        part_mask=output.get("part_index"),
        palm_crease=output.get("palm_crease"),
        palm_vein=output.get("palm_vein"),
    )
    for kind in scene_kinds().values():  # every kind's labels: a products scene may hold a hand
        kind.read_labels(result.spec, output, sample)
    apply_camera_model(result.spec, sample)  # lens and sensors, images and labels alike
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
        defect_mask=augmented.defect_mask, normals=None, part_mask=None,
        palm_crease=None, palm_vein=None,
    )  # fmt: skip
    if augmented.keypoints is not None:
        variant.keypoints_2d = augmented.keypoints.astype(np.float64) + 0.5
        variant.keypoints_visible = augmented.keypoints_visible
    return variant, params


def attack_params_json(spec: dict[str, Any], source_sha256: str | None) -> str | None:
    """The spec's attack parameters as JSON, with the digest of the victim image the worker showed, if any."""
    params = spec.get("attack_params")
    if params is None:
        return None
    if source_sha256 is not None:
        params = {**params, "source_image_sha256": source_sha256}
    return json.dumps(params, sort_keys=True)


def _kind_columns(spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
    """Every scene kind's columns (a kind's columns are null in rows it has nothing for)."""
    values: dict[str, Any] = {}
    for kind in scene_kinds().values():
        values |= kind.row_values(spec, sample, codec)
    return values


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
        "scene_part": spec["mix"]["part"] if "mix" in spec else None,
        "is_live": spec.get("is_live", True),
        "attack_type": spec.get("attack_type"),
        "attack_params": attack_params_json(spec, sample.attack_source_sha256),
        "width": width,
        "height": height,
        "image": image_cell(sample.image, codec),
        "mask": image_cell(sample.mask, codec),
        "depth": image_cell(sample.depth_mm, codec),
        "depth_scale": DEPTH_SCALE_M,
        "bbox": bbox_from_mask(sample.mask, PRIMARY_INSTANCE_ID),
        "instances": extend_instances(instance_records(sample.mask, sample.classes), sample.products),
        **_kind_columns(spec, sample, codec),
        **camera_model_row_values(spec, sample.lens_distortion, sample.camera_measured or {}),
        "camera_K": sample.camera_K.tolist(),
        "camera_pose": sample.camera_pose.tolist(),
        "normals": None if sample.normals is None else image_cell(sample.normals, codec),
        "part_mask": None if sample.part_mask is None else image_cell(sample.part_mask, codec),
        "palm_crease_map": None if sample.palm_crease is None else image_cell(sample.palm_crease, codec),
        "palm_vein_map": None if sample.palm_vein is None else image_cell(sample.palm_vein, codec),
        "aug_seed": aug_seed,
        "aug_params": json.dumps(aug_params) if aug_params is not None else None,
        "spec": spec_json,
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
    split = dataset_split_name(assign_split(spec["job_seed"], split_group(spec), split_ratios))
    spec_json = json.dumps(spec, sort_keys=True)
    rows = [_row(spec, sample, 0, split, None, None, spec_json, image_codec)]
    if variants and augmenter is None:
        raise ValueError("variants > 0 needs an augmenter")
    for aug_index in range(1, variants + 1):
        seed = variant_seed(spec["job_seed"], spec["render_index"], aug_index)
        variant, params = _augment(augmenter, sample, seed)
        rows.append(_row(spec, variant, aug_index, split, seed, params, spec_json, image_codec))
    return rows
