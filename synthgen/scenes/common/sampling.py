"""Small seeded-draw and shape helpers every scene kind uses (one home, so no module keeps a private copy).

Each function takes its generator explicitly; none holds random state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from synthgen.scenes.common.color import hsv_to_rgb, srgb_to_linear


def uniform(rng: np.random.Generator, bounds: Sequence[float]) -> float:
    """One draw from [low, high) of a ``(low, high)`` config range."""
    return float(rng.uniform(bounds[0], bounds[1]))


def rounded_uniform(rng: np.random.Generator, bounds: Sequence[float], digits: int = 5) -> float:
    """``uniform`` rounded, for parameters stored in specs where more digits mean nothing."""
    return round(float(rng.uniform(bounds[0], bounds[1])), digits)


def weighted_choice(rng: np.random.Generator, weights: dict[str, float], order: Sequence[str]) -> str:
    """A key drawn by weight; the draw depends on the fixed ``order``, not on the mapping's key order."""
    names = [n for n in order if weights.get(n, 0.0) > 0]
    w = np.array([weights[n] for n in names])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def linear_colour(rng: np.random.Generator, saturation: Sequence[float], value: Sequence[float]) -> list[float]:
    """A linear RGB colour drawn in (display-referred) HSV, so value ranges read as a person would pick them."""
    rgb = hsv_to_rgb(float(rng.uniform()), uniform(rng, saturation), uniform(rng, value))
    return [round(srgb_to_linear(c), 6) for c in rgb]


def smoothstep(edge0: float, edge1: float, x: np.ndarray | float) -> np.ndarray:
    """Hermite step from 0 at ``edge0`` to 1 at ``edge1`` (GLSL's smoothstep)."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def axis_angle_matrix(axis: Sequence[float], degrees: float) -> np.ndarray:
    """3x3 rotation by ``degrees`` about ``axis`` (Rodrigues' formula; the axis need not be unit length)."""
    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a)
    t = math.radians(degrees)
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    return np.eye(3) + math.sin(t) * k + (1.0 - math.cos(t)) * (k @ k)


def euler_xyz_matrix(rotation_deg: Sequence[float]) -> np.ndarray:
    """XYZ Euler angles (degrees) to a 3x3 rotation, Blender's default order."""
    rx, ry, rz = (math.radians(a) for a in rotation_deg)
    x = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)], [0, math.sin(rx), math.cos(rx)]])
    y = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    z = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    return z @ y @ x


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)
