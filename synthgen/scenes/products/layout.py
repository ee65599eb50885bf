"""Where products stand: rest orientation, yaw and position on a table, on shelf boards or on a conveyor belt.

Pure geometry. A product's footprint is the rectangle its local bounds cover after its rest rotation; packing
keeps footprints on the same support apart (circles on tables and belts, intervals along a shelf board), so
sampled placements never interpenetrate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Rest rotations (applied before the yaw): upright keeps +z up and the front at -y; flat lays the front face up.
REST_ROTATIONS = {
    "upright": np.eye(3),
    "flat": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),  # -90 degrees about x
}


def rotation_z(yaw_deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rested_bounds(low: Any, high: Any, rest: str) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (min, max) of the local box after the rest rotation."""
    from synthgen.scenes.products.geometry import box_corners

    corners = box_corners(low, high) @ REST_ROTATIONS[rest].T
    return corners.min(axis=0), corners.max(axis=0)


def object_matrix(low: Any, high: Any, rest: str, yaw_deg: float, support_xy: Any, support_z: float) -> np.ndarray:
    """4x4 local-to-world matrix: rested, yawed, footprint centred on ``support_xy``, lowest point on ``support_z``."""
    lo, hi = rested_bounds(low, high, rest)
    rotation = rotation_z(yaw_deg) @ REST_ROTATIONS[rest]
    centre = rotation_z(yaw_deg) @ np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = np.array([support_xy[0], support_xy[1], support_z]) - centre
    return matrix


def footprint(low: Any, high: Any, rest: str) -> tuple[float, float, float]:
    """(half width along x, half depth along y, height) after the rest rotation, before the yaw."""
    lo, hi = rested_bounds(low, high, rest)
    return float(hi[0] - lo[0]) / 2, float(hi[1] - lo[1]) / 2, float(hi[2] - lo[2])


def pack_circles(
    rng: np.random.Generator, radii: list[float], region: tuple[float, float], gap: float, tries: int = 300
) -> list[tuple[float, float] | None]:
    """Rejection-samples centres in the rectangle [-rx, rx] x [-ry, ry] so no two circles come closer than
    ``gap``; a circle that finds no room gets None (fewer products beat interpenetrating ones)."""
    placed: list[tuple[float, float, float]] = []
    centres: list[tuple[float, float] | None] = []
    rx, ry = region
    for radius in radii:
        spot = None
        for _ in range(tries):
            x = float(rng.uniform(-rx + radius, rx - radius)) if rx > radius else 0.0
            y = float(rng.uniform(-ry + radius, ry - radius)) if ry > radius else 0.0
            if all(math.hypot(x - px, y - py) >= radius + pr + gap for px, py, pr in placed):
                spot = (x, y)
                break
        if spot is not None:
            placed.append((*spot, radius))
        centres.append(spot)
    return centres
