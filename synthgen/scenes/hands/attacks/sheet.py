"""A bent paper sheet (pure numpy): sheet coordinates (u, v) in [0, 1]^2 -> points in the sheet's local frame.

The local frame has x along the sheet's width, y along its height (the photo's up), z out of the printed face.
The sheet bends as a cylinder about an axis in its plane (arc length is kept, as paper does not stretch) and
its corners lift. The same function places the mesh vertices and the depicted keypoints, so labels sit exactly
on the rendered paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sheet_points(uv: np.ndarray, width_m: float, height_m: float, params: dict[str, Any]) -> np.ndarray:
    """(N, 3) local points of sheet coordinates ``uv`` (N, 2); (0, 0) is the bottom-left corner."""
    uv = np.asarray(uv, dtype=np.float64)
    x = (uv[:, 0] - 0.5) * width_m
    y = (uv[:, 1] - 0.5) * height_m
    angle = np.radians(params["bend_axis_deg"])
    along = np.array([np.cos(angle), np.sin(angle)])  # the bend axis in the sheet plane
    across = np.array([-along[1], along[0]])
    s = x * across[0] + y * across[1]  # arc length across the bend axis
    t = x * along[0] + y * along[1]
    k = params["curvature_per_m"]
    if abs(k) > 1e-6:
        radius = 1.0 / k
        s_flat, z = radius * np.sin(s / radius), radius * (1.0 - np.cos(s / radius))
    else:
        s_flat, z = s, np.zeros_like(s)
    # Corners lift with a smooth falloff towards the middle of the sheet.
    u, v = uv[:, 0], uv[:, 1]
    weights = ((1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v)
    for lift, w in zip(params["corner_lift_m"], weights, strict=True):
        z = z + lift * w**3
    # Centre the bend on the sheet's middle, so the middle stays at the origin.
    return np.stack(
        [s_flat * across[0] + t * along[0], s_flat * across[1] + t * along[1], z - (lift_at_centre(params))], axis=1
    )


def lift_at_centre(params: dict[str, Any]) -> float:
    return float(sum(params["corner_lift_m"]) * 0.5**6)


def sheet_grid(
    width_m: float, height_m: float, params: dict[str, Any], cells: int = 24
) -> tuple[np.ndarray, list[tuple[int, int, int, int]], np.ndarray]:
    """(vertices (V, 3), quads, per-vertex uv (V, 2)) of the bent sheet, ``cells`` x ``cells`` quads."""
    ticks = np.linspace(0.0, 1.0, cells + 1)
    uu, vv = np.meshgrid(ticks, ticks)  # row j = v, column i = u
    uv = np.stack([uu.ravel(), vv.ravel()], axis=1)
    vertices = sheet_points(uv, width_m, height_m, params)
    n = cells + 1
    quads = [
        (j * n + i, j * n + i + 1, (j + 1) * n + i + 1, (j + 1) * n + i) for j in range(cells) for i in range(cells)
    ]
    return vertices, quads, uv
