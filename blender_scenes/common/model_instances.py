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
        obj.hide_render = False
        obj.pass_index = item["instance_id"]
        set_matrix(obj, np.array(item["matrix_world"]))
        return obj
