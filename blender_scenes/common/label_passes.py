"""The opt-in label passes (``spec["label_passes"]``): surface normals in the camera frame and part segmentation.

Both come from one extra render of one sample per pixel (``render``). Normals: Cycles' Normal pass (world
frame) turned into the dataset's camera frame (OpenCV: x right, y down, z forward) and stored as
RGB = (n + 1) / 2 * 255, background 0.

Parts: every material gets an AOV output writing the face attribute ``synthgen_part`` (ids of
``synthgen.scenes.common.parts``), which changes no shading; meshes get that attribute from what they are:
a hand from its skin weights (the bone with the largest weight; nails from the skin's ``nail_weight``), a
procedural product from its material slots and label band, a user model from its material names
(``blender_scenes.common.model_instances``). Surfaces without the attribute are 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
import numpy as np

from blender_scenes.common.render_setup import apply_cycles_settings, render_to_arrays
from synthgen.scenes.common.parts import PART_IDS, finger_segment_part, nail_part

PART_AOV = "synthgen_part"
# Written by the skin material (blender_scenes.hands.skin_material): its palm maps' crease darkening and vein
# absorption, times the palm weight, at the surface a pixel sees.
CREASE_AOV, VEIN_AOV = "synthgen_palm_crease", "synthgen_palm_vein"
PART_ATTRIBUTE = "synthgen_part"
_AOV_NODE = "synthgen_part_aov"
LABEL_BAND_FAMILIES = ("bottle", "jar", "can")


def prepare(scene: bpy.types.Scene, spec: dict[str, Any]) -> None:
    """Turns the passes on or off for this spec; with parts on, every visible mesh carries its part ids."""
    wanted = spec.get("label_passes") or {}
    view_layer = scene.view_layers[0]
    if wanted.get("palm_lines"):
        for name in (CREASE_AOV, VEIN_AOV):
            _ensure_aov(view_layer, name)
    if not wanted.get("parts"):
        return
    _ensure_aov(view_layer, PART_AOV)
    for material in bpy.data.materials:
        _add_part_aov(material)
    by_instance = {item["instance_id"]: item for item in spec.get("products", [])}
    for obj in scene.objects:
        if obj.type != "MESH" or obj.hide_render:
            continue
        if any(g.name.startswith("finger2-1") for g in obj.vertex_groups):
            _hand_parts(obj)
        elif obj.name.startswith("sku_") and obj.pass_index in by_instance:
            item = by_instance[obj.pass_index]
            _product_parts(obj, spec["skus"][str(item["sku_id"])])


def _ensure_aov(view_layer: bpy.types.ViewLayer, name: str) -> None:
    if name not in [a.name for a in view_layer.aovs]:
        aov = view_layer.aovs.add()
        aov.name, aov.type = name, "VALUE"


def _add_part_aov(material: bpy.types.Material) -> None:
    if not material.use_nodes or material.node_tree is None or _AOV_NODE in material.node_tree.nodes:
        return
    tree = material.node_tree
    attribute = tree.nodes.new("ShaderNodeAttribute")
    attribute.attribute_type = "GEOMETRY"
    attribute.attribute_name = PART_ATTRIBUTE
    output = tree.nodes.new("ShaderNodeOutputAOV")
    output.name = _AOV_NODE
    output.aov_name = PART_AOV
    tree.links.new(attribute.outputs["Fac"], output.inputs["Value"])


def _set_face_parts(mesh: bpy.types.Mesh, parts: np.ndarray) -> None:
    attribute = mesh.attributes.get(PART_ATTRIBUTE)
    if attribute is None or attribute.domain != "FACE":
        if attribute is not None:
            mesh.attributes.remove(attribute)
        attribute = mesh.attributes.new(PART_ATTRIBUTE, "INT", "FACE")
    attribute.data.foreach_set("value", parts.astype(np.int32))


def _bone_part(name: str) -> int:
    bone = name.split(".")[0]
    if bone.startswith("finger"):
        finger, segment = bone.removeprefix("finger").split("-")
        return finger_segment_part(int(finger) - 1, int(segment) - 1)
    if bone.startswith("lowerarm"):
        return PART_IDS["forearm"]
    return PART_IDS["palm"]  # wrist and metacarpals


def _hand_parts(obj: bpy.types.Object) -> None:
    """Each face: the part its vertices' strongest bones agree on most; nails where the skin is nail."""
    mesh = obj.data
    if PART_ATTRIBUTE in mesh.attributes and obj.get("synthgen_parts_done"):
        return
    count = len(mesh.vertices)
    best = np.zeros(count)
    part = np.full(count, PART_IDS["palm"], np.int32)
    index_of = {g.index: _bone_part(g.name) for g in obj.vertex_groups}
    for vertex in mesh.vertices:
        for element in vertex.groups:
            if element.weight > best[vertex.index]:
                best[vertex.index] = element.weight
                part[vertex.index] = index_of[element.group]
    nail = mesh.attributes.get("nail_weight")
    if nail is not None:
        weight = np.empty(count, np.float32)
        nail.data.foreach_get("value", weight)
        finger = np.where((part >= 12) & (part < 27), (part - 12) // 3, -1)
        is_nail = (weight > 0.5) & (finger >= 0)
        part[is_nail] = [nail_part(int(f)) for f in finger[is_nail]]
    loops = np.empty(len(mesh.loops), np.int64)
    mesh.loops.foreach_get("vertex_index", loops)
    starts = np.empty(len(mesh.polygons), np.int64)
    mesh.polygons.foreach_get("loop_start", starts)
    faces = np.array([np.bincount(part[loops[s : s + n]]).argmax()
                      for s, n in zip(starts, [len(p.vertices) for p in mesh.polygons], strict=True)])  # fmt: skip
    _set_face_parts(mesh, faces)
    obj["synthgen_parts_done"] = True


def _product_parts(obj: bpy.types.Object, sku: dict[str, Any]) -> None:
    """Slot 0 is the printed pack (its label band, where the family has one, is the label), slot 1 the cap."""
    mesh = obj.data
    slots = np.empty(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("material_index", slots)
    parts = np.where(slots == 1, PART_IDS["product_cap"], PART_IDS["product_body"])
    band = sku.get("label_band")
    if band and sku["family"] in LABEL_BAND_FAMILIES:
        centres = np.empty(len(mesh.polygons) * 3)
        mesh.polygons.foreach_get("center", centres)
        z = centres.reshape(-1, 3)[:, 2]
        height = float(sku["size"][2]) or 1.0
        inside = (slots == 0) & (z >= band[0] * height) & (z <= band[1] * height)
        parts[inside] = PART_IDS["product_label"]
    _set_face_parts(mesh, parts)


def render(scene: bpy.types.Scene, spec: dict[str, Any], scratch: Path) -> dict[str, np.ndarray]:
    """The label arrays of the applied spec: ``normals`` (H, W, 3 uint8), ``part_index`` (H, W uint8) and the
    palm maps ``palm_crease`` / ``palm_vein`` (H, W uint8: 255 x the map's value on the hand, 0 elsewhere).

    Read from a render of one sample per pixel with the spec's Cycles seed, whose camera rays are the first
    sample of the image's render, from which Cycles takes the object index: every label pixel is then the
    surface that the ``mask`` pixel names (a pixel averaged over many samples would mix a boundary's ids).
    """
    wanted = spec.get("label_passes") or {}
    if not (wanted.get("normals") or wanted.get("parts") or wanted.get("palm_lines")):
        return {}
    view_layer = scene.view_layers[0]
    view_layer.use_pass_normal = True
    one_ray = {"spp": 1, "denoise": False, "adaptive_sampling": False, "max_bounces": 0, "transparent_bounces": 0}
    apply_cycles_settings(scene, spec["render"] | one_ray)
    try:
        passes = render_to_arrays(scene, scratch)
    finally:
        view_layer.use_pass_normal = False
        apply_cycles_settings(scene, spec["render"])
    out: dict[str, np.ndarray] = {}
    if wanted.get("normals"):
        world = passes["Normal"][..., :3].astype(np.float64)
        to_camera = np.diag([1.0, -1.0, -1.0]) @ np.array(scene.camera.matrix_world)[:3, :3].T  # Blender -> OpenCV
        camera = world @ to_camera.T
        length = np.linalg.norm(camera, axis=-1, keepdims=True)
        camera = camera / np.maximum(length, 1e-9)
        encoded = np.rint((camera + 1.0) * 127.5).clip(1, 255).astype(np.uint8)
        encoded[length[..., 0] < 0.5] = 0  # nothing hit
        out["normals"] = encoded
    if wanted.get("parts"):
        values = passes.get(PART_AOV, np.zeros(passes["object_index"].shape, np.float32))
        parts = np.rint(values).clip(0, 255).astype(np.uint8)
        parts[passes["object_index"] == 0] = 0  # labels belong to instances only
        out["part_index"] = parts
    if wanted.get("palm_lines"):
        on_subject = passes["object_index"] == 1  # the live hand (an attack's instrument has no palm maps)
        for key, name in (("palm_crease", CREASE_AOV), ("palm_vein", VEIN_AOV)):
            values = passes.get(name, np.zeros(passes["object_index"].shape, np.float32))
            encoded = np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
            encoded[~on_subject] = 0
            out[key] = encoded
    out["label_object_index"] = passes["object_index"].astype(np.uint8)  # for the tests: same rays as the mask
    return out
