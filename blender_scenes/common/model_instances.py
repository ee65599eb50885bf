"""Placed copies of the user's product models: one template per model file (imported once per worker), and a
pool of objects per template sharing its mesh, shown per spec with their own pass index and matrix."""

from __future__ import annotations

from typing import Any

import bpy
import numpy as np

from blender_scenes.common.label_passes import PART_ATTRIBUTE
from blender_scenes.common.model_import import import_model
from blender_scenes.common.stage import link, set_matrix
from blender_scenes.common.world_assets import checked_file
from synthgen.scenes.common.parts import PART_IDS

DEFECT_ATTRIBUTE = "synthgen_defect"
DEFECT_AOV = "defect"  # blender_scenes.products.materials.DEFECT_AOV (a common module cannot import products)

# Part ids by a model's material slot (synthgen.assets.model_skus names the slots' parts).
SLOT_PART_IDS = {part: PART_IDS[f"product_{part}"] for part in ("body", "label", "cap")}


class ModelInstances:
    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        self.templates: dict[str, bpy.types.Object] = {}
        self.pool: dict[str, list[bpy.types.Object]] = {}
        self.used: dict[str, int] = {}

    def begin(self) -> None:
        """Hides every placed copy (a spec then shows the ones it places)."""
        for objects in self.pool.values():
            for obj in objects:
                obj.hide_render = True
        self.used = {}

    def visible(self) -> list[bpy.types.Object]:
        return [obj for objects in self.pool.values() for obj in objects if not obj.hide_render]

    def _template(self, sku: dict[str, Any]) -> bpy.types.Object:
        model = sku["model"]
        key = model["sha256"] + repr((model["format"], model["scale"], model["up_axis"]))
        if key not in self.templates:
            checked_file(model)  # the file the main process hashed, unchanged
            template = import_model(model, f"model_{len(self.templates)}")
            ids = [SLOT_PART_IDS[part] for part in sku.get("slot_parts", [])] or [SLOT_PART_IDS["body"]]
            faces = np.array([ids[min(p.material_index, len(ids) - 1)] for p in template.data.polygons], np.int32)
            attribute = template.data.attributes.new(PART_ATTRIBUTE, "INT", "FACE")
            attribute.data.foreach_set("value", faces)
            template.data.attributes.new(DEFECT_ATTRIBUTE, "FLOAT", "POINT")  # 0: no defect
            for slot in template.material_slots:
                if slot.material is not None:
                    _add_defect_aov(slot.material)
            self.templates[key] = template
            self.pool[key] = []
        return self.templates[key]

    def place(self, sku: dict[str, Any], item: dict[str, Any]) -> bpy.types.Object:
        template = self._template(sku)
        key = next(k for k, t in self.templates.items() if t is template)
        slot = self.used.get(key, 0)
        self.used[key] = slot + 1
        objects = self.pool[key]
        if slot == len(objects):
            objects.append(link(self.scene, template.copy()))  # shares the template's mesh and materials
        obj = objects[slot]
        if obj.data is not template.data:  # last spec's dented copy
            dented, obj.data = obj.data, template.data
            bpy.data.meshes.remove(dented)
        if item.get("defect"):
            obj.data = _dented(template.data, item["defect"])
        obj.hide_render = False
        obj.pass_index = item["instance_id"]
        set_matrix(obj, np.array(item["matrix_world"]))
        return obj


def _add_defect_aov(material: bpy.types.Material) -> None:
    """The products' defect AOV (what ``ProductBuilder.pass_labels`` reads) from the dent's vertex attribute;
    it changes no shading."""
    tree = material.node_tree
    if not material.use_nodes or tree is None or "synthgen_defect_aov" in tree.nodes:
        return
    attribute = tree.nodes.new("ShaderNodeAttribute")
    attribute.attribute_type = "GEOMETRY"
    attribute.attribute_name = DEFECT_ATTRIBUTE
    output = tree.nodes.new("ShaderNodeOutputAOV")
    output.name = "synthgen_defect_aov"
    output.aov_name = DEFECT_AOV
    tree.links.new(attribute.outputs["Fac"], output.inputs["Value"])


def _dented(mesh: bpy.types.Mesh, dent: dict[str, Any]) -> bpy.types.Mesh:
    """A copy of ``mesh`` pushed in round ``dent["a"]`` towards the vertical axis (a smooth cap of depth
    ``dent["depth"]`` over ``dent["radius"]``); the dented vertices carry the defect attribute."""
    copy = mesh.copy()
    co = np.empty(len(copy.vertices) * 3)
    copy.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    distance = np.linalg.norm(co - np.array(dent["a"]), axis=1)
    falloff = np.clip(1.0 - (distance / dent["radius"]) ** 2, 0.0, 1.0) ** 2
    inward = -co[:, :2] / np.maximum(np.linalg.norm(co[:, :2], axis=1, keepdims=True), 1e-9)
    co[:, :2] += inward * (dent["depth"] * falloff)[:, None]
    copy.vertices.foreach_set("co", co.ravel())
    copy.attributes[DEFECT_ATTRIBUTE].data.foreach_set("value", (falloff > 0.05).astype(np.float32))
    copy.update()
    return copy
