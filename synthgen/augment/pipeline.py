"""Label-consistent augmentation of one rendered sample, recorded so the variant can be reproduced.

Targets and how each transform treats them:

* ``image`` (RGB uint8): every transform.
* ``mask`` (instance ids) and ``depth`` (uint16 mm): spatial transforms only, nearest-neighbour
  (``Compose(mask_interpolation=INTER_NEAREST)`` overrides any transform's own setting) with fill 0, so ids
  and depths are never blended or invented. Pixel-level transforms never touch them.
* ``keypoints`` (pixel xy, OpenCV convention: pixel centres at integer coordinates): spatial transforms; all
  N are kept in order (``remove_invisible=False``) and the ones that leave the frame become invisible.
* ``nir`` (single-channel uint8): spatial transforms (bilinear, like the image) plus what the NIR camera
  shares physically or has of its own: blur and vignetting (same optics, same params), sensor noise (same
  ISO, independent noise) and JPEG. Not colour, exposure or tone changes: those belong to the RGB camera's
  processing, and albumentations' colour/noise transforms assume the RGB shape. Implemented by registering
  ``nir`` as an image target only on those transforms; the others pass it through untouched.

Bounding boxes are not transformed: derive them from the augmented mask (``bbox_from_mask``).

Seeding: ``augment(sample, seed)`` reseeds the one pre-built ``Compose`` before each call (see ``seeding``),
so the output is a pure function of (config, sample, seed). An ``Augmenter`` holds mutable random state: use
one per thread/process.

Replay: albumentations 2.0.8 can re-apply recorded params only from the in-memory objects
(``ReplayCompose``; it also takes no ``seed``). After a JSON round trip matrices are lists and noise maps are
summarised, so ``replay`` re-runs the recorded config with the recorded seed and checks that the params it
applies equal the recorded ones.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import albumentations as A
import cv2
import numpy as np
from albumentations.core.composition import BaseCompose
from albumentations.core.transforms_interface import BasicTransform, DualTransform

from synthgen.augment.config import AugmentConfig
from synthgen.augment.params import applied_to_json
from synthgen.augment.registry import build_transform, iter_leaves
from synthgen.augment.seeding import reseed

logger = logging.getLogger(__name__)

# Pixel-level transforms that also apply to the NIR channel (see the module docstring).
NIR_PIXEL_TRANSFORMS = frozenset(
    {
        "AdvancedBlur",
        "Blur",
        "Defocus",
        "GaussianBlur",
        "GlassBlur",
        "ImageCompression",
        "MedianBlur",
        "MotionBlur",
        "SensorNoise",
        "Vignetting",
        "ZoomBlur",
    }
)


@dataclass(frozen=True)
class AugmentInput:
    """One sample; every array is (H, W, ...) with the same H, W. Used for both input and output."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    mask: np.ndarray  # (H, W) uint8 instance ids, 0 = background
    depth: np.ndarray  # (H, W) uint16 millimetres, 0 = no hit
    nir: np.ndarray | None = None  # (H, W) uint8
    keypoints: np.ndarray | None = None  # (N, 2) float32 pixel xy
    keypoints_visible: np.ndarray | None = None  # (N,) bool; None means all visible
    defect_mask: np.ndarray | None = None  # (H, W) uint8 defect ids, moved like the instance mask

    def __post_init__(self) -> None:
        _expect(self.image, "image", np.uint8, 3)
        height, width = self.image.shape[:2]
        if self.image.shape[2] != 3:
            raise ValueError(f"image must be (H, W, 3), got {self.image.shape}")
        _expect(self.mask, "mask", np.uint8, 2, (height, width))
        _expect(self.depth, "depth", np.uint16, 2, (height, width))
        if self.nir is not None:
            _expect(self.nir, "nir", np.uint8, 2, (height, width))
        if self.defect_mask is not None:
            _expect(self.defect_mask, "defect_mask", np.uint8, 2, (height, width))
        if self.keypoints is not None:
            _expect(self.keypoints, "keypoints", np.float32, 2)
            if self.keypoints.shape[1] != 2:
                raise ValueError(f"keypoints must be (N, 2), got {self.keypoints.shape}")
        if self.keypoints_visible is not None:
            if self.keypoints is None:
                raise ValueError("keypoints_visible given without keypoints")
            _expect(self.keypoints_visible, "keypoints_visible", np.bool_, 1, (len(self.keypoints),))


def _expect(array: np.ndarray, name: str, dtype: type, ndim: int, shape: tuple[int, ...] | None = None) -> None:
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != ndim:
        got = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
        raise ValueError(f"{name} must be a {ndim}-D {np.dtype(dtype).name} array, got {got}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")


MAX_DRAWS = 8  # draws of one variant before the least blown-out one is kept
WHITE_LEVEL = 250


def white_share(image: np.ndarray) -> float:
    """Share of pixels whose every channel is at least ``WHITE_LEVEL`` (blown out)."""
    return float((image >= WHITE_LEVEL).all(axis=-1).mean())


def redraw_seed(seed: int, attempt: int) -> int:
    """The seed of redraw ``attempt`` (>= 1) of a variant seeded ``seed``."""
    return int(np.random.SeedSequence([seed, attempt, 0xB10]).generate_state(1, dtype=np.uint32)[0])


class ReplayMismatchError(RuntimeError):
    """Re-running a recorded variant applied different params (changed preset or library version)."""


class Augmenter:
    """Builds the pipeline for a config once; ``augment`` runs it on one sample with one seed."""

    def __init__(self, config: AugmentConfig) -> None:
        self.config = config
        specs = config.resolved_specs()
        self.spec_sha = hashlib.sha256(
            json.dumps(config.resolved_json(), sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()[:16]
        self._config_json = config.model_dump(mode="json")
        self._compose = _build_compose([build_transform(s, config.where(i)) for i, s in enumerate(specs)])

    @property
    def is_identity(self) -> bool:
        return self._compose is None

    def augment(self, sample: AugmentInput, seed: int) -> tuple[AugmentInput, dict[str, Any]]:
        """(augmented sample, record). The record is JSON-ready: ``{seed, config, spec_sha, albumentations,
        applied: [{name, params}, ...]}``. Arrays no transform touched (and, with the identity config, the
        sample itself) are returned as given, not copied: treat both as read-only.
        """
        if self._compose is None:
            return sample, self._record(seed, [])
        # A bright render plus a brightness/contrast push can come out nearly all white: redraw such a variant
        # from seeds derived from ``seed`` (the same sample and seed always make the same choice, so replay holds).
        before = white_share(sample.image)
        best: tuple[float, AugmentInput, list[dict[str, Any]], int] | None = None
        for attempt in range(MAX_DRAWS):
            result, applied = self._run(sample, seed if attempt == 0 else redraw_seed(seed, attempt))
            blown = white_share(result.image) - before
            if best is None or blown < best[0]:
                best = (blown, result, applied, attempt)
            if blown <= self.config.max_white_share:
                break
        assert best is not None
        _, result, applied, attempt = best
        record = self._record(seed, applied)
        if attempt:
            record["redraws"] = attempt
        return result, record

    def _run(self, sample: AugmentInput, seed: int) -> tuple[AugmentInput, list[dict[str, Any]]]:
        assert self._compose is not None
        reseed(self._compose, seed)
        data: dict[str, Any] = {"image": sample.image, "mask": sample.mask, "depth": sample.depth}
        if sample.nir is not None:
            data["nir"] = sample.nir
        if sample.keypoints is not None:
            data["keypoints"] = sample.keypoints
        if sample.defect_mask is not None:
            data["defect_mask"] = sample.defect_mask
        out = self._compose(**data)
        keypoints, visible = None, None
        if sample.keypoints is not None:
            keypoints = np.asarray(out["keypoints"], dtype=np.float32).reshape(-1, 2)
            height, width = out["image"].shape[:2]
            # Same in-frame rule albumentations uses for remove_invisible.
            inside = (
                (keypoints[:, 0] >= 0) & (keypoints[:, 0] < width) & (keypoints[:, 1] >= 0) & (keypoints[:, 1] < height)
            )
            visible = inside if sample.keypoints_visible is None else inside & sample.keypoints_visible
        result = AugmentInput(
            image=out["image"],
            mask=out["mask"],
            depth=out["depth"],
            nir=out.get("nir"),
            keypoints=keypoints,
            keypoints_visible=visible,
            defect_mask=out.get("defect_mask"),
        )
        return result, applied_to_json(out["applied_transforms"])

    def _record(self, seed: int, applied: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "seed": int(seed),
            "config": copy.deepcopy(self._config_json),
            "spec_sha": self.spec_sha,
            "albumentations": A.__version__,
            "applied": applied,
        }


def _build_compose(transforms: list[BasicTransform | BaseCompose]) -> A.Compose | None:
    if not transforms:
        return None
    for transform in transforms:
        for leaf in iter_leaves(transform):
            if isinstance(leaf, DualTransform) or type(leaf).__name__ in NIR_PIXEL_TRANSFORMS:
                leaf.add_targets({"nir": "image"})
    with warnings.catch_warnings():
        # A photometric-only pipeline (the sensor preset) has no transform that moves keypoints.
        warnings.filterwarnings("ignore", message="Got processor for keypoints, but no transform to process it")
        return A.Compose(
            transforms,
            keypoint_params=A.KeypointParams(format="xy", remove_invisible=False),
            additional_targets={"depth": "mask", "defect_mask": "mask"},
            mask_interpolation=cv2.INTER_NEAREST,
            save_applied_params=True,
        )


_REPLAY_LOCK = threading.Lock()  # the cached augmenters are shared and hold random state


@lru_cache(maxsize=8)
def _cached_augmenter(config_json: str) -> Augmenter:
    return Augmenter(AugmentConfig.model_validate_json(config_json))


def replay(sample: AugmentInput, applied_params: dict[str, Any], *, verify: bool = True) -> AugmentInput:
    """Reproduce a recorded variant of ``sample`` from its record (the ``aug_params`` JSON, parsed).

    Re-runs the recorded config with the recorded seed; with ``verify`` the applied params must equal the
    recorded ones, else ``ReplayMismatchError`` (a preset or library version changed since recording).
    """
    with _REPLAY_LOCK:
        augmenter = _cached_augmenter(json.dumps(applied_params["config"], sort_keys=True))
    if verify and applied_params.get("spec_sha") != augmenter.spec_sha:
        raise ReplayMismatchError(
            f"transform list changed since recording (spec_sha {applied_params.get('spec_sha')} != "
            f"{augmenter.spec_sha}): preset '{augmenter.config.preset}' was redefined"
        )
    if applied_params.get("albumentations") != A.__version__:
        logger.warning(
            "replaying a variant recorded with albumentations %s on %s",
            applied_params.get("albumentations"),
            A.__version__,
        )
    with _REPLAY_LOCK:
        out, record = augmenter.augment(sample, int(applied_params["seed"]))
    if verify and record["applied"] != applied_params["applied"]:
        raise ReplayMismatchError(
            f"seed {applied_params['seed']} now applies {[t['name'] for t in record['applied']]} "
            f"with different params than recorded ({[t['name'] for t in applied_params['applied']]})"
        )
    return out
