"""Worn items on the hand: rings, a watch, a bracelet, band-aids (``synthgen.scenes.hands.accessories``).

Each item is a mesh fitted to the hand's rest skin (``synthgen.scenes.hands.accessory_geometry``), in the
armature's frame, skinned with weight 1 to one bone by an Armature modifier: a ring follows its phalanx, a watch
the forearm, in every pose. Its object index is the item's instance id, so the mask shows it apart from the hand.
Item slots (object + materials) are reused between samples; their meshes are replaced.
"""

from __future__ import annotations

from typing import Any

import bpy
import numpy as np

from blender_scenes.common.node_helpers import principled_material
from blender_scenes.hands.hand_asset import HandAsset
from synthgen.scenes.hands.accessory_geometry import band_for_item
from synthgen.scenes.hands.rig import FOREARM_BONES


def _material(name: str) -> bpy.types.Material:
    material, _, bsdf = principled_material(name)
    bsdf.inputs["Roughness"].default_value = 0.3
    return material


def _set(material: bpy.types.Material, colour: Any, roughness: float, metallic: float, coat: float = 0.0) -> None:
    bsdf = material.node_tree.nodes["bsdf"]
    bsdf.inputs["Base Color"].default_value = (*[float(c) for c in colour], 1.0)
    bsdf.inputs["Roughness"].default_value = float(roughness)
    bsdf.inputs["Metallic"].default_value = metallic
    bsdf.inputs["Coat Weight"].default_value = coat
    bsdf.inputs["Coat Roughness"].default_value = 0.03


class Accessories:
    """The item slots of one worker: ``apply`` shows a spec's items on a posed ``HandAsset``."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        self.slots: list[tuple[bpy.types.Object, list[bpy.types.Material]]] = []
        self._shown: list[bpy.types.Object] = []

    def _slot(self, index: int) -> tuple[bpy.types.Object, list[bpy.types.Material]]:
        while len(self.slots) <= index:
            k = len(self.slots)
            obj = bpy.data.objects.new(f"accessory_{k}", bpy.data.meshes.new(f"accessory_{k}"))
            self.scene.collection.objects.link(obj)
            materials = [_material(f"accessory_{k}_{part}") for part in ("main", "dial", "strap")]
            modifier = obj.modifiers.new("Armature", "ARMATURE")
            modifier.use_vertex_groups = True
            obj.hide_render = True
            self.slots.append((obj, materials))
        return self.slots[index]

    def hide(self) -> None:
        for obj, _ in self.slots:
            obj.hide_render = True
        self._shown = []

    def apply(self, items: list[dict[str, Any]], asset: HandAsset, co: np.ndarray, keypoints: np.ndarray) -> None:
        """Shows ``items`` (the spec's accessories) on ``asset``; ``co``/``keypoints``: its rest skin and joints."""
        self.hide()
        bones = asset.armature_object.data.bones
        suffix = ".L" if asset.side == "left" else ".R"
        for index, item in enumerate(items):
            obj, materials = self._slot(index)
            if "bone" in item:
                bone = bones[item["bone"] + suffix]
                ends = (np.asarray(bone.head_local), np.asarray(bone.tail_local))
            else:
                ends = None
            verts, faces, material_index = band_for_item(item, co, keypoints, ends)
            if ends is None:  # wrist items follow the forearm bone nearest them
                bone = min(
                    (bones[b + suffix] for b in FOREARM_BONES),
                    key=lambda b: _segment_distance(verts.mean(axis=0), b.head_local, b.tail_local),
                )
            old = obj.data
            mesh = bpy.data.meshes.new(old.name)
            mesh.from_pydata(verts.tolist(), [], faces)
            mesh.polygons.foreach_set("material_index", material_index)
            mesh.shade_smooth()
            for material in materials:
                mesh.materials.append(material)
            obj.data = mesh
            bpy.data.meshes.remove(old)
            obj.vertex_groups.clear()
            group = obj.vertex_groups.new(name=bone.name)
            group.add(list(range(len(verts))), 1.0, "REPLACE")
            obj.parent = asset.armature_object
            obj.matrix_parent_inverse.identity()
            obj.matrix_basis.identity()
            obj.modifiers["Armature"].object = asset.armature_object
            obj.pass_index = int(item["instance_id"])
            self._style(item, materials)
            obj.hide_render = False
            self._shown.append(obj)

    @staticmethod
    def _style(item: dict[str, Any], materials: list[bpy.types.Material]) -> None:
        main, dial, strap = materials
        kind = item["type"]
        if kind == "band_aid":
            _set(main, item["colour_linear"], item["roughness"], 0.0)
            return
        metallic = 0.0 if item.get("metal") is None else 1.0
        _set(main, item["colour_linear"], item["roughness"], metallic)
        if kind == "watch":
            _set(dial, item["dial_colour_linear"], 0.35, 0.0, coat=1.0)  # the dial under its glass
            _set(strap, item["strap_colour_linear"], item["strap_roughness"], 1.0 if item["strap"] == "metal" else 0.0)


def _segment_distance(p: np.ndarray, a: Any, b: Any) -> float:
    a, b = np.asarray(a), np.asarray(b)
    t = float(np.clip((p - a) @ (b - a) / max(float((b - a) @ (b - a)), 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * (b - a))))
