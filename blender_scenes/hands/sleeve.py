"""A sleeve over the forearm's cut end: people wear clothes, and the asset's forearm ends in an open edge."""

from __future__ import annotations

import math

import bpy
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


def fit_sleeve(sleeve: bpy.types.Object, hand_co: np.ndarray) -> None:
    """Refit the sleeve to a reshaped hand (same topology, new ring positions)."""
    sleeve.data.vertices.foreach_set("co", sleeve_vertices(hand_co).astype(np.float32).ravel())
    sleeve.data.update()


def build_sleeve(
    hand_mesh: bpy.types.Object, parent: bpy.types.Object, name: str, hand_co: np.ndarray | None = None
) -> bpy.types.Object:
    """A loose tube following the forearm from its cut end towards the wrist (hand frame: the arm runs -Y).

    ``hand_co``: the hand's rest vertices in the parent's frame (default: the mesh's own vertices).
    """
    if hand_co is None:
        mesh = hand_mesh.data
        hand_co = np.empty(len(mesh.vertices) * 3)
        mesh.vertices.foreach_get("co", hand_co)
        hand_co = hand_co.reshape(-1, 3)
    verts = sleeve_vertices(hand_co)
    faces = [
        (r * RING_SEGMENTS + i, r * RING_SEGMENTS + (i + 1) % RING_SEGMENTS,
         (r + 1) * RING_SEGMENTS + (i + 1) % RING_SEGMENTS, (r + 1) * RING_SEGMENTS + i)
        for r in range(SLICES - 1) for i in range(RING_SEGMENTS)
    ]  # fmt: skip
    sleeve_mesh = bpy.data.meshes.new(name)
    sleeve_mesh.from_pydata(verts.tolist(), [], faces)
    sleeve_mesh.shade_smooth()
    sleeve = bpy.data.objects.new(name, sleeve_mesh)
    solidify = sleeve.modifiers.new("thickness", "SOLIDIFY")
    solidify.thickness = 0.002
    sleeve.parent = parent
    sleeve.pass_index = 0  # clothing is not the hand
    for collection in hand_mesh.users_collection:
        collection.objects.link(sleeve)
    return sleeve
