"""Writing vertex and face arrays into Blender meshes."""

from __future__ import annotations

import bpy
import numpy as np


def write_mesh(mesh: bpy.types.Mesh, verts: np.ndarray, faces: list[tuple[int, ...]], smooth: bool) -> None:
    """Replaces the mesh's geometry in place (the object, its modifiers and material stay)."""
    mesh.clear_geometry()
    mesh.from_pydata(verts.tolist(), [], faces)
    if smooth:
        mesh.shade_smooth()
    else:
        mesh.shade_flat()
    mesh.update()
