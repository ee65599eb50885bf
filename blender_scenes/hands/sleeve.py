"""A sleeve over the forearm's cut end: people wear clothes, and the asset's forearm ends in an open edge."""

from __future__ import annotations

import bpy
import numpy as np

from synthgen.scenes.hands.sleeve_geometry import sleeve_faces, sleeve_vertices


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
    faces = sleeve_faces()
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
