"""The user's product models, read by Blender's own importers into one normalised mesh object.

glTF/GLB (``import_scene.gltf``), OBJ (``wm.obj_import``), PLY (``wm.ply_import``), FBX (``import_scene.fbx``)
and .blend (``bpy.data.libraries.load``: its mesh objects are appended). A .blend never runs code: Python
auto-execution stays off, only objects are appended (no text blocks, no scripts), and every driver and
animation on what was appended is removed before anything is evaluated.

The result is one mesh object, not linked to any scene (a template): its meshes joined with their world
transforms applied, turned so the declared up axis is +Z, scaled to metres, its footprint centred on the origin
and its lowest point at z = 0. Cameras, lights and empties of the file are deleted.
"""

from __future__ import annotations

import logging
from typing import Any

import bpy
import mathutils
import numpy as np

logger = logging.getLogger(__name__)

# Rotation taking each declared up axis to +Z.
_UP_TO_Z = {
    "Z": mathutils.Matrix.Identity(3),
    "-Z": mathutils.Matrix.Rotation(np.pi, 3, "X"),
    "Y": mathutils.Matrix.Rotation(np.pi / 2, 3, "X"),
    "-Y": mathutils.Matrix.Rotation(-np.pi / 2, 3, "X"),
    "X": mathutils.Matrix.Rotation(-np.pi / 2, 3, "Y"),
    "-X": mathutils.Matrix.Rotation(np.pi / 2, 3, "Y"),
}


def _no_scripts() -> None:
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False


def _append_blend(path: str) -> None:
    """Appends the file's objects (and the meshes and materials they use) to the current scene, nothing else."""
    _no_scripts()
    with bpy.data.libraries.load(path, link=False) as (source, target):
        target.objects = list(source.objects)
    collection = bpy.context.scene.collection
    for obj in target.objects:
        if obj is None:
            continue
        _strip_drivers(obj)
        collection.objects.link(obj)


def _strip_drivers(obj: bpy.types.Object) -> None:
    """Drivers and animation could evaluate Python expressions: none of a user's file survives."""
    for owner in (obj, obj.data, getattr(obj.data, "shape_keys", None)):
        if owner is not None and getattr(owner, "animation_data", None) is not None:
            owner.animation_data_clear()


# The up axis each format means when the config names none (glTF mandates +Y; OBJ exporters mostly write +Y).
DEFAULT_UP = {"gltf": "Y", "obj": "Y", "ply": "Z", "fbx": "Y", "blend": "Z"}
# Where the glTF importer puts each file axis in Blender's frame (it always turns +Y up into +Z up).
_GLTF_AXES = {"X": "X", "-X": "-X", "Y": "Z", "-Y": "-Z", "Z": "-Y", "-Z": "Y"}
_FBX_FORWARD = {"X": "Y", "-X": "Y", "Y": "-Z", "-Y": "Z", "Z": "Y", "-Z": "Y"}


def _run_importer(path: str, fmt: str, up: str) -> str:
    """Runs the format's importer with no axis conversion of its own where it has one; returns the up axis of
    what it made (in Blender's frame)."""
    if fmt == "gltf":
        bpy.ops.import_scene.gltf(filepath=path)
        return _GLTF_AXES[up]
    if fmt == "obj":
        bpy.ops.wm.obj_import(filepath=path, forward_axis="Y", up_axis="Z")
    elif fmt == "ply":
        bpy.ops.wm.ply_import(filepath=path, forward_axis="Y", up_axis="Z")
    elif fmt == "fbx":  # FBX: the declared up axis turned +Z by the importer itself
        forward = _FBX_FORWARD[up]
        bpy.ops.import_scene.fbx(filepath=path, use_manual_orientation=True, axis_forward=forward, axis_up=up)
        return "Z"
    elif fmt == "blend":
        _append_blend(path)
    else:
        raise ValueError(f"unknown model format {fmt!r}")
    return up


def import_model(model: dict[str, Any], name: str) -> bpy.types.Object:
    """The template object of ``model`` (a spec's model record: file, format, scale, up_axis; an up axis of None
    is the format's convention, ``DEFAULT_UP``)."""
    _no_scripts()
    before = set(bpy.data.objects)
    up = _run_importer(model["file"], model["format"], model.get("up_axis") or DEFAULT_UP[model["format"]])
    new = [obj for obj in bpy.data.objects if obj not in before]
    for obj in new:
        _strip_drivers(obj)
    bpy.context.view_layer.update()
    meshes = [obj for obj in new if obj.type == "MESH" and len(obj.data.vertices) > 0]
    if not meshes:
        for obj in new:
            bpy.data.objects.remove(obj)
        raise ValueError(f"model {model['path']!r}: the file holds no mesh")
    # One mesh: each part's world transform (parents included) baked into a copy of its data, then joined.
    parts = []
    for obj in meshes:
        mesh = obj.data.copy()
        mesh.transform(obj.matrix_world)
        part = bpy.data.objects.new(f"{name}_part", mesh)
        bpy.context.scene.collection.objects.link(part)
        parts.append(part)
    for obj in new:
        bpy.data.objects.remove(obj)
    if len(parts) > 1:
        with bpy.context.temp_override(active_object=parts[0], selected_editable_objects=parts):
            bpy.ops.object.join()
    template = parts[0]
    template.name = name
    mesh = template.data
    turn = _UP_TO_Z[up].to_4x4()
    mesh.transform(mathutils.Matrix.Scale(float(model["scale"]), 4) @ turn)
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    low, high = co.min(axis=0), co.max(axis=0)
    mesh.transform(mathutils.Matrix.Translation((-(low[0] + high[0]) / 2, -(low[1] + high[1]) / 2, -low[2])))
    mesh.update()
    bpy.context.scene.collection.objects.unlink(template)
    template.pass_index = 0
    return template


def local_bounds(obj: bpy.types.Object) -> tuple[list[float], list[float]]:
    co = np.empty(len(obj.data.vertices) * 3)
    obj.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    return co.min(axis=0).round(6).tolist(), co.max(axis=0).round(6).tolist()


def main() -> None:
    """Probe (``python -m blender_scenes.common.model_import MODEL_JSON``): prints the normalised model's
    bounds and size as JSON, or a one-line error (exit 1). The main process runs it once per model file."""
    import json
    import sys

    bpy.ops.wm.read_factory_settings(use_empty=True)
    model = json.loads(sys.argv[1])
    try:
        obj = import_model(model, "probe")
    except Exception as exc:  # reported to the user as the config error
        sys.stdout.write(json.dumps({"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}) + "\n")
        sys.exit(1)
    low, high = local_bounds(obj)
    faces = len(obj.data.polygons)
    slots = [slot.material.name if slot.material else "" for slot in obj.material_slots]
    info = {"low": low, "high": high, "faces": faces, "materials": slots}
    if len(sys.argv) > 2:  # the normalised mesh itself, triangulated (BOP export models/)
        mesh = obj.data
        mesh.calc_loop_triangles()
        co = np.empty(len(mesh.vertices) * 3)
        mesh.vertices.foreach_get("co", co)
        tris = np.empty(len(mesh.loop_triangles) * 3, np.int64)
        mesh.loop_triangles.foreach_get("vertices", tris)
        np.savez(sys.argv[2], vertices=co.reshape(-1, 3), triangles=tris.reshape(-1, 3))
    sys.stdout.write("SYNTHGEN_PROBE " + json.dumps(info) + "\n")


if __name__ == "__main__":
    main()
