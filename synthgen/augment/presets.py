"""Named augmentation presets as plain data: the same ``{name, params}`` form a config's ``transforms`` uses.

Rules every preset follows, because the labels must stay true after augmentation:

* No flips, transposes or 90-degree rotations: mirroring a hand swaps its handedness (a left hand would be
  labelled as the one it was rendered as, and left/right keypoint semantics would swap).
* Geometry is small rotations/scales/translations/shears (``Affine``) and mild ``Perspective``, always with a
  constant zero border, so no unlabelled mirrored content appears at the edges.
* ``MotionBlur`` uses ``allow_shifted=False``: a shifted kernel moves the image content by a few pixels
  without moving the mask, depth or keypoints.
* No dropout/occluders: they would hide keypoints that stay flagged visible.

``sensor`` is photometric only (what a real capture adds, in the order a camera applies it); the others mix
geometry and appearance. ``none`` is the identity and produces no variants.
"""

from __future__ import annotations

from typing import Any, Literal

PresetName = Literal["none", "light", "medium", "heavy", "sensor"]


def _t(name: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "params": params}


def _one_of(*transforms: dict[str, Any], p: float) -> dict[str, Any]:
    """Exactly one of ``transforms`` (children's ``p`` are relative weights), with probability ``p``."""
    return {"name": "OneOf", "params": {"transforms": list(transforms), "p": p}}


PRESETS: dict[str, list[dict[str, Any]]] = {
    "none": [],
    "light": [
        _t(
            "Affine",
            scale=(0.95, 1.05),
            translate_percent=(-0.03, 0.03),
            rotate=(-5.0, 5.0),
            keep_ratio=True,
            p=0.5,
        ),
        _t("RandomBrightnessContrast", brightness_limit=(-0.1, 0.1), contrast_limit=(-0.1, 0.1), p=0.5),
        _t(
            "HueSaturationValue",
            hue_shift_limit=(-3, 3),
            sat_shift_limit=(-8, 8),
            val_shift_limit=(-5, 5),
            p=0.3,
        ),
        _t("GaussianBlur", sigma_limit=(0.3, 0.7), p=0.15),
        _t("ImageCompression", quality_range=(85, 98), p=0.3),
    ],
    "medium": [
        _t(
            "Affine",
            scale=(0.9, 1.1),
            translate_percent=(-0.06, 0.06),
            rotate=(-15.0, 15.0),
            shear=(-4.0, 4.0),
            keep_ratio=True,
            p=0.7,
        ),
        _t("Perspective", scale=(0.02, 0.05), p=0.3),
        _t("RandomBrightnessContrast", brightness_limit=(-0.2, 0.2), contrast_limit=(-0.2, 0.2), p=0.6),
        _t(
            "HueSaturationValue",
            hue_shift_limit=(-5, 5),
            sat_shift_limit=(-15, 15),
            val_shift_limit=(-10, 10),
            p=0.4,
        ),
        _one_of(
            _t("GaussianBlur", sigma_limit=(0.3, 1.2), p=1.0),
            _t("MotionBlur", blur_limit=(3, 5), allow_shifted=False, p=1.0),
            p=0.3,
        ),
        _t("SensorNoise", iso_range=(100.0, 1600.0), p=0.3),
        _t("ImageCompression", quality_range=(60, 95), p=0.5),
    ],
    "heavy": [
        _t(
            "Affine",
            scale=(0.75, 1.25),
            translate_percent=(-0.12, 0.12),
            rotate=(-35.0, 35.0),
            shear=(-8.0, 8.0),
            keep_ratio=True,
            p=0.9,
        ),
        _t("Perspective", scale=(0.03, 0.08), p=0.5),
        _t("RandomBrightnessContrast", brightness_limit=(-0.35, 0.35), contrast_limit=(-0.35, 0.35), p=0.8),
        _t(
            "HueSaturationValue",
            hue_shift_limit=(-12, 12),
            sat_shift_limit=(-35, 35),
            val_shift_limit=(-25, 25),
            p=0.6,
        ),
        _t("RandomGamma", gamma_limit=(70, 150), p=0.4),
        _one_of(
            _t("GaussianBlur", sigma_limit=(0.5, 2.0), p=1.0),
            _t("MotionBlur", blur_limit=(3, 9), allow_shifted=False, p=1.0),
            _t("Defocus", radius=(1, 3), alias_blur=(0.1, 0.3), p=1.0),
            p=0.5,
        ),
        _t("SensorNoise", iso_range=(200.0, 6400.0), p=0.5),
        _t("ImageCompression", quality_range=(30, 90), p=0.6),
    ],
    # Camera order: scene exposure and lens (vignetting, blur) → sensor noise → ISP white balance → JPEG.
    "sensor": [
        _t("Exposure", ev_range=(-0.7, 0.7), p=0.7),
        _t("Vignetting", strength_range=(0.1, 0.4), center_jitter=0.05, p=0.5),
        _one_of(
            _t("MotionBlur", blur_limit=(3, 5), allow_shifted=False, p=1.0),
            _t("Defocus", radius=(1, 2), alias_blur=(0.05, 0.15), p=1.0),
            p=0.4,
        ),
        _t("SensorNoise", iso_range=(100.0, 3200.0), p=0.9),
        _t("PlanckianJitter", mode="blackbody", temperature_limit=(5000, 8500), p=0.6),
        _t("ImageCompression", quality_range=(70, 95), p=0.8),
    ],
}
