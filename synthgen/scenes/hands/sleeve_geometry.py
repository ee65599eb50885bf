"""The sleeve's tube over the forearm's cut end (pure numpy): rings fitted round the hand asset's forearm."""

from __future__ import annotations

import math

import numpy as np

SLEEVE_LENGTH_M = 0.13
RING_SEGMENTS = 32
SLICES = 8
CLEARANCE_M = 0.006


def sleeve_vertices(hand_co: np.ndarray) -> np.ndarray:
    """(SLICES * RING_SEGMENTS, 3) ring vertices around the forearm of hand vertices ``hand_co`` (hand frame)."""
    co = hand_co
    start = float(co[:, 1].min()) - 0.004
    rings: list[np.ndarray] = []
    for y in np.linspace(start, start + SLEEVE_LENGTH_M, SLICES):
        near = co[np.abs(co[:, 1] - y) < 0.012]
        centre = near.mean(axis=0) if len(near) else np.array([0.0, y, 0.0])
        radius = float(np.max(np.hypot(near[:, 0] - centre[0], near[:, 2] - centre[2]))) if len(near) else 0.035
        # The cuff (last ring) hangs a little looser, like fabric.
        radius += CLEARANCE_M * (1.6 if y > start + 0.8 * SLEEVE_LENGTH_M else 1.0)
        angles = np.linspace(0.0, 2.0 * math.pi, RING_SEGMENTS, endpoint=False)
        rings.append(np.stack([centre[0] + radius * np.cos(angles), np.full_like(angles, y),
                               centre[2] + radius * np.sin(angles)], axis=1))  # fmt: skip
    return np.concatenate(rings)


def sleeve_faces() -> list[tuple[int, int, int, int]]:
    """Quads joining consecutive rings of ``sleeve_vertices``."""
    return [
        (r * RING_SEGMENTS + i, r * RING_SEGMENTS + (i + 1) % RING_SEGMENTS,
         (r + 1) * RING_SEGMENTS + (i + 1) % RING_SEGMENTS, (r + 1) * RING_SEGMENTS + i)
        for r in range(SLICES - 1) for i in range(RING_SEGMENTS)
    ]  # fmt: skip
