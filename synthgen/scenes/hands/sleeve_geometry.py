"""The sleeve's tube over the forearm's cut end (pure numpy): rings fitted round the hand asset's forearm, then
the sleeve carries on as the rest of the arm, ``ARM_LENGTH_M`` beyond the cut and slowly widening, closed at its
far end, so the arm leaves the frame instead of ending in mid-air in an open cuff."""

from __future__ import annotations

import math

import numpy as np

SLEEVE_LENGTH_M = 0.13
RING_SEGMENTS = 32
ARM_LENGTH_M = 0.4
ARM_SLICES = 4  # rings of the arm beyond the cut, before the SLICES rings over the forearm
SLICES = 8
CLEARANCE_M = 0.006


def sleeve_vertices(hand_co: np.ndarray) -> np.ndarray:
    """((ARM_SLICES + SLICES) * RING_SEGMENTS, 3) ring vertices: the arm beyond the forearm's cut end (far end
    first), then the sleeve round the forearm of hand vertices ``hand_co`` (hand frame)."""
    co = hand_co
    start = float(co[:, 1].min()) - 0.004
    angles = np.linspace(0.0, 2.0 * math.pi, RING_SEGMENTS, endpoint=False)
    rings: list[np.ndarray] = []
    centres, radii = [], []
    for y in np.linspace(start, start + SLEEVE_LENGTH_M, SLICES):
        near = co[np.abs(co[:, 1] - y) < 0.012]
        centre = near.mean(axis=0) if len(near) else np.array([0.0, y, 0.0])
        radius = float(np.max(np.hypot(near[:, 0] - centre[0], near[:, 2] - centre[2]))) if len(near) else 0.035
        # The cuff (last ring) hangs a little looser, like fabric.
        radius += CLEARANCE_M * (1.6 if y > start + 0.8 * SLEEVE_LENGTH_M else 1.0)
        centres.append(centre)
        radii.append(radius)
        rings.append(np.stack([centre[0] + radius * np.cos(angles), np.full_like(angles, y),
                               centre[2] + radius * np.sin(angles)], axis=1))  # fmt: skip
    # The arm: straight on along the forearm's axis (first two rings), widening towards the elbow.
    axis = centres[0] - centres[1]
    axis /= max(float(np.linalg.norm(axis)), 1e-9)
    arm = []
    for k in range(ARM_SLICES, 0, -1):
        fraction = k / ARM_SLICES
        centre = centres[0] + axis * ARM_LENGTH_M * fraction
        radius = max(radii) * (1.0 + 0.2 * fraction)  # as wide as the sleeve's widest, then wider
        arm.append(np.stack([centre[0] + radius * np.cos(angles), np.full_like(angles, centre[1]),
                             centre[2] + radius * np.sin(angles)], axis=1))  # fmt: skip
    return np.concatenate(arm + rings)


def sleeve_faces() -> list[tuple[int, ...]]:
    """Quads joining consecutive rings of ``sleeve_vertices``, and a cap closing the arm's far end."""
    rings = ARM_SLICES + SLICES
    quads = [
        (r * RING_SEGMENTS + i, r * RING_SEGMENTS + (i + 1) % RING_SEGMENTS,
         (r + 1) * RING_SEGMENTS + (i + 1) % RING_SEGMENTS, (r + 1) * RING_SEGMENTS + i)
        for r in range(rings - 1) for i in range(RING_SEGMENTS)
    ]  # fmt: skip
    return [tuple(reversed(range(RING_SEGMENTS))), *quads]
