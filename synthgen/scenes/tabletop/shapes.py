"""The tabletop scene's primitive meshes (box, can, bottle) as vertex and face arrays (pure numpy)."""

from __future__ import annotations

import itertools
import math

import numpy as np

RING_SEGMENTS = 48


def box_geometry(width: float, depth: float, height: float) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """An axis-aligned box standing on z = 0, centred on the z axis."""
    x, y = width / 2.0, depth / 2.0
    verts = np.array(
        [
            [-x, -y, 0],
            [x, -y, 0],
            [x, y, 0],
            [-x, y, 0],
            [-x, -y, height],
            [x, -y, height],
            [x, y, height],
            [-x, y, height],
        ],
        dtype=float,
    )
    faces = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    return verts, faces


def revolve_geometry(profile: list[tuple[float, float]]) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Revolves a (radius, z) profile, bottom to top, around the z axis; radius 0 ends become poles."""
    angles = np.linspace(0.0, 2.0 * math.pi, RING_SEGMENTS, endpoint=False)
    verts: list[list[float]] = []
    rings: list[list[int]] = []
    for radius, z in profile:
        if radius <= 0.0:
            rings.append([len(verts)])
            verts.append([0.0, 0.0, z])
            continue
        start = len(verts)
        verts.extend([radius * math.cos(a), radius * math.sin(a), z] for a in angles)
        rings.append(list(range(start, start + RING_SEGMENTS)))
    faces: list[tuple[int, ...]] = []
    n = RING_SEGMENTS
    for lower, upper in itertools.pairwise(rings):
        for i in range(n):
            j = (i + 1) % n
            if len(lower) == 1:
                faces.append((lower[0], upper[i], upper[j]))
            elif len(upper) == 1:
                faces.append((lower[i], lower[j], upper[0]))
            else:
                faces.append((lower[i], lower[j], upper[j], upper[i]))
    return np.array(verts, dtype=float), faces


def can_profile(diameter: float, height: float) -> list[tuple[float, float]]:
    r = diameter / 2.0
    rim = min(0.004, 0.05 * height)
    return [(0.0, 0.0), (0.92 * r, 0.0), (r, rim), (r, height - rim), (0.92 * r, height), (0.0, height)]


def bottle_profile(diameter: float, height: float) -> list[tuple[float, float]]:
    r = diameter / 2.0
    neck = 0.32 * r
    shoulder_start, neck_start = 0.62 * height, 0.82 * height
    profile = [(0.0, 0.0), (0.9 * r, 0.0), (r, 0.01 * height), (r, shoulder_start)]
    for t in np.linspace(0.15, 1.0, 7):  # a smooth cosine shoulder from the body to the neck
        radius = neck + (r - neck) * 0.5 * (1.0 + math.cos(math.pi * t))
        profile.append((float(radius), shoulder_start + t * (neck_start - shoulder_start)))
    profile += [(neck, 0.95 * height), (1.08 * neck, 0.95 * height), (1.08 * neck, height), (0.0, height)]
    return profile


def shape_geometry(shape: str, size: list[float]) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    width, depth, height = size
    if shape == "box":
        return box_geometry(width, depth, height)
    if shape == "cylinder":
        return revolve_geometry(can_profile(width, height))
    if shape == "bottle":
        return revolve_geometry(bottle_profile(width, height))
    raise ValueError(f"shape: unknown product shape {shape!r}")
