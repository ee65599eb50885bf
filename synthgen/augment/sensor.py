"""Camera effects albumentations 2.0.8 lacks: exposure in stops, lens vignetting, ISO-like sensor noise.

Each is an ``ImageOnlyTransform`` with an ``InitSchema`` (validated like the built-in transforms) that
samples in ``get_params`` through ``self.py_random`` / ``self.random_generator`` only, so the pipeline's
per-call reseed makes them reproducible. Parameters are small scalars, so the recorded params stay compact.
They accept uint8 and float32 images with any channel count (RGB or the single-channel NIR).
"""

from __future__ import annotations

import math
from functools import cache
from statistics import NormalDist
from typing import Any, Self

import cv2
import numpy as np
from albumentations.core.transforms_interface import BaseTransformInitSchema, ImageOnlyTransform
from pydantic import Field, model_validator

__all__ = ["Exposure", "SensorNoise", "Vignetting"]


def _ordered(low: float, high: float, what: str) -> None:
    if low > high:
        raise ValueError(f"{what}: low {low} is greater than high {high}")


def _to_float(img: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] from uint8 or float32."""
    if img.dtype == np.uint8:
        return img.astype(np.float32) * np.float32(1.0 / 255.0)
    if img.dtype == np.float32:
        return img.astype(np.float32, copy=True)
    raise TypeError(f"expected a uint8 or float32 image, got {img.dtype}")


def _from_float(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Back to ``dtype``: uint8 rounds half up, float32 is clipped to [0, 1]."""
    if dtype == np.uint8:
        values *= np.float32(255.0)
        values += np.float32(0.5)
        np.clip(values, 0.0, 255.0, out=values)
        return values.astype(np.uint8)
    return np.clip(values, 0.0, 1.0, out=values)


@cache
def _normal_quantiles() -> np.ndarray:
    """65536 standard-normal quantiles: a 16-bit random index into them is a Gaussian draw (tails cut at 4.2
    sigma), about 5x faster than ``Generator.standard_normal`` and built from raw generator bytes only.
    """
    dist = NormalDist()
    return np.array([dist.inv_cdf((i + 0.5) / 65536) for i in range(65536)], dtype=np.float32)


def _srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1.0 / 2.4) - 0.055)


class Exposure(ImageOnlyTransform):
    """Exposure error of ``ev`` stops: light scaled by ``2**ev`` in linear sRGB, re-encoded and clipped.

    Unlike an additive brightness shift this keeps black black and saturates highlights, as a real over- or
    under-exposure does.
    """

    class InitSchema(BaseTransformInitSchema):
        ev_range: tuple[float, float] = Field(description="stops, sampled uniformly")

        @model_validator(mode="after")
        def _check(self) -> Self:
            _ordered(*self.ev_range, "ev_range")
            if not all(-4.0 <= v <= 4.0 for v in self.ev_range):
                raise ValueError(f"ev_range must lie in [-4, 4] stops, got {self.ev_range}")
            return self

    def __init__(self, ev_range: tuple[float, float] = (-0.5, 0.5), p: float = 0.5):
        super().__init__(p=p)
        self.ev_range = ev_range

    def get_params(self) -> dict[str, Any]:
        return {"ev": self.py_random.uniform(*self.ev_range)}

    def apply(self, img: np.ndarray, ev: float, **params: Any) -> np.ndarray:
        gain = 2.0**ev
        if img.dtype == np.uint8:
            levels = np.arange(256, dtype=np.float64) / 255.0
            curve = _linear_to_srgb(np.clip(_srgb_to_linear(levels) * gain, 0.0, 1.0))
            lut = np.floor(curve * 255.0 + 0.5).astype(np.uint8)
            return cv2.LUT(img, lut)
        values = _to_float(img).astype(np.float64)
        return _linear_to_srgb(np.clip(_srgb_to_linear(values) * gain, 0.0, 1.0)).astype(np.float32)


class Vignetting(ImageOnlyTransform):
    """Radial lens fall-off: gain ``1 - strength * r**2``, r = distance from optical centre / half diagonal.

    ``strength`` is the darkening at the corners (0.3 = corners at 70 %); the centre is jittered by up to
    ``center_jitter`` of the width/height because real optical centres are rarely exact.
    """

    class InitSchema(BaseTransformInitSchema):
        strength_range: tuple[float, float]
        center_jitter: float = Field(ge=0.0, le=0.5)

        @model_validator(mode="after")
        def _check(self) -> Self:
            _ordered(*self.strength_range, "strength_range")
            if not all(0.0 <= v <= 1.0 for v in self.strength_range):
                raise ValueError(f"strength_range must lie in [0, 1], got {self.strength_range}")
            return self

    def __init__(
        self,
        strength_range: tuple[float, float] = (0.1, 0.4),
        center_jitter: float = 0.05,
        p: float = 0.5,
    ):
        super().__init__(p=p)
        self.strength_range = strength_range
        self.center_jitter = center_jitter

    def get_params(self) -> dict[str, Any]:
        jitter = self.center_jitter
        return {
            "strength": self.py_random.uniform(*self.strength_range),
            "center": (
                0.5 + self.py_random.uniform(-jitter, jitter),
                0.5 + self.py_random.uniform(-jitter, jitter),
            ),
        }

    def apply(self, img: np.ndarray, strength: float, center: tuple[float, float], **params: Any) -> np.ndarray:
        height, width = img.shape[:2]
        cx, cy = center[0] * width, center[1] * height
        half_diagonal_sq = (width / 2.0) ** 2 + (height / 2.0) ** 2
        # Separable squared distances (pixel centres at integer coordinates) broadcast to the full map.
        dx2 = ((np.arange(width, dtype=np.float32) - np.float32(cx - 0.5)) ** 2)[None, :]
        dy2 = ((np.arange(height, dtype=np.float32) - np.float32(cy - 0.5)) ** 2)[:, None]
        gain = np.float32(1.0) - np.float32(strength / half_diagonal_sq) * (dx2 + dy2)
        np.clip(gain, 0.0, 1.0, out=gain)
        values = _to_float(img)
        values *= gain if img.ndim == 2 else gain[:, :, None]
        return _from_float(values, img.dtype)


class SensorNoise(ImageOnlyTransform):
    """Signal-dependent sensor noise (Poisson-Gaussian approximation) at an ISO drawn log-uniformly.

    Per pixel and channel ``sigma**2 = shot_noise * g * x + (read_noise * g)**2`` with ``g = iso / 100``
    and x the [0, 1] intensity: brighter pixels get more (shot) noise, and both terms grow with analogue gain
    as on a real sensor. The noise field is drawn in ``apply`` from a recorded ``noise_seed`` salted with the
    channel count, so the RGB image and the NIR channel share the ISO but get independent noise (separate
    sensors), and the params stay a few numbers instead of a full noise map.
    """

    class InitSchema(BaseTransformInitSchema):
        iso_range: tuple[float, float]
        shot_noise: float = Field(ge=0.0, le=0.1)
        read_noise: float = Field(ge=0.0, le=0.1)

        @model_validator(mode="after")
        def _check(self) -> Self:
            _ordered(*self.iso_range, "iso_range")
            if not all(25.0 <= v <= 102_400.0 for v in self.iso_range):
                raise ValueError(f"iso_range must lie in [25, 102400], got {self.iso_range}")
            return self

    def __init__(
        self,
        iso_range: tuple[float, float] = (100.0, 1600.0),
        shot_noise: float = 5e-5,
        read_noise: float = 8e-4,
        p: float = 0.5,
    ):
        super().__init__(p=p)
        self.iso_range = iso_range
        self.shot_noise = shot_noise
        self.read_noise = read_noise

    def get_params(self) -> dict[str, Any]:
        low, high = (math.log(v) for v in self.iso_range)
        return {
            "iso": math.exp(self.py_random.uniform(low, high)),
            "noise_seed": int(self.random_generator.integers(0, 2**32)),
        }

    def apply(self, img: np.ndarray, iso: float, noise_seed: int, **params: Any) -> np.ndarray:
        gain = iso / 100.0
        channels = 1 if img.ndim == 2 else img.shape[2]
        rng = np.random.default_rng([noise_seed, channels])
        values = _to_float(img)
        sigma = values * np.float32(self.shot_noise * gain)
        sigma += np.float32((self.read_noise * gain) ** 2)
        np.sqrt(sigma, out=sigma)
        # Explicit little-endian so the same bytes give the same indices on any machine.
        index = np.frombuffer(rng.bytes(2 * img.size), dtype="<u2").reshape(img.shape)
        sigma *= np.take(_normal_quantiles(), index)
        values += sigma
        return _from_float(values, img.dtype)
