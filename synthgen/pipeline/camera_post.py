"""The camera model's post-processing of a clean render: lens distortion of the image and of every label the same
way, then the RGB and NIR sensors. Runs before augmentation, so augmented variants start from the camera's image.

Order as in a camera: the lens (distortion) forms the image, the sensor adds its noise, the ISP white-balances.
Labels: masks, depth, the defect mask and the opt-in label passes go through the same inverse map as the image
(nearest neighbour); keypoints through its exact inverse (the forward distortion); boxes and instance records
are computed from the distorted mask afterwards. ``camera_K`` becomes the distorted camera's (the worker rendered
a wider view, so that with the zoom the lens needs to fill the frame it has the sampled focal length again) and
the coefficients are stored in the row: ``cv2.projectPoints(keypoints_3d, 0, 0, camera_K, lens_distortion)``
gives ``keypoints_2d``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.scenes.common.lens_distortion import LensRemap, fitted_lens_remap
from synthgen.scenes.common.sensor_model import apply_nir_sensor, apply_rgb_sensor
from synthgen.scenes.hands.keypoints import keypoints_in_frame

if TYPE_CHECKING:
    from synthgen.pipeline.rows import CleanSample

SUBJECT_ID = 1


def remap_for(spec: dict[str, Any], sample: CleanSample) -> LensRemap | None:
    model = spec.get("camera_model") or {}
    if not model.get("lens"):
        return None
    height, width = sample.mask.shape
    return fitted_lens_remap(sample.camera_K, model["lens"], width, height)


def apply_camera_model(spec: dict[str, Any], sample: CleanSample) -> None:
    """Applies ``spec["camera_model"]`` (if any) to ``sample`` in place."""
    model = spec.get("camera_model")
    if not model:
        return
    remap = remap_for(spec, sample)
    if remap is not None:
        sample.image = remap.image(sample.image)
        sample.mask = remap.labels(sample.mask)
        sample.depth_mm = remap.labels(sample.depth_mm)
        if sample.nir is not None:
            sample.nir = remap.image(sample.nir)
        for name in ("defect_mask", "normals", "part_mask", "palm_crease", "palm_vein"):  # opt-in labels
            if getattr(sample, name) is not None:
                setattr(sample, name, remap.labels(getattr(sample, name)))
        if sample.keypoints_2d is not None:
            sample.keypoints_2d = remap.points(sample.keypoints_2d)
            height, width = sample.mask.shape
            sample.keypoints_visible = sample.keypoints_visible & keypoints_in_frame(sample.keypoints_2d, width, height)
        sample.camera_K = remap.camera_K
        sample.lens_distortion = remap.coefficient_list()
    rng = np.random.default_rng(model["noise_seed"])
    rgb_rng, nir_rng = rng.spawn(2)
    if model.get("rgb_sensor"):
        sample.image = apply_rgb_sensor(sample.image, model["rgb_sensor"], rgb_rng)
    if model.get("nir_sensor") and sample.nir is not None:
        sample.nir = apply_nir_sensor(sample.nir, sample.mask == SUBJECT_ID, model["nir_sensor"], nir_rng)
