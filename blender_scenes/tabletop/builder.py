"""The tabletop scene: built once per worker, then changed in place for each spec."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from blender_scenes.builder import SceneBuilder
from blender_scenes.common.mesh_data import write_mesh
from blender_scenes.common.stage import Stage, ground_quad, link
from blender_scenes.common.surface_materials import (
    SURFACE_FAMILIES,
    apply_product_material,
    apply_surface,
    build_product_material,
    build_surface_material,
)
from synthgen.scenes.tabletop.shapes import shape_geometry

MAX_OBJECTS = 8
GROUND_SIZE_M = 8.0
BEVEL_M = 0.003


class TabletopBuilder(SceneBuilder):
    """Owns every Blender datablock of the scene; ``apply`` sets them from a spec."""

    def __init__(self, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> None:
        self.scene = scene
        self.stage = stage
        self.ground = ground_quad(scene, "ground", GROUND_SIZE_M)
        self.ground.pass_index = 0
        self.surface_materials = {family: build_surface_material(family) for family in SURFACE_FAMILIES}
        self.ground.data.materials.append(self.surface_materials[SURFACE_FAMILIES[0]])

        self.products: list[bpy.types.Object] = []
        for slot in range(MAX_OBJECTS):
            obj = link(scene, bpy.data.objects.new(f"product_{slot}", bpy.data.meshes.new(f"product_{slot}")))
            obj.data.materials.append(build_product_material(f"product_{slot}"))
            bevel = obj.modifiers.new("bevel", "BEVEL")
            bevel.width, bevel.segments, bevel.limit_method = BEVEL_M, 3, "ANGLE"
            bevel.harden_normals = True
            obj.hide_render = True
            self.products.append(obj)

    def set_visible(self, visible: bool) -> None:
        self.ground.hide_render = not visible
        if not visible:
            for obj in self.products:
                obj.hide_render = True

    def apply(self, spec: dict[str, Any]) -> None:
        self._apply_surface(spec["surface"])
        self._apply_objects(spec["objects"])
        self.stage.apply_lighting(spec["lighting"])
        self.stage.apply_camera_spec(spec["camera"])

    def _apply_surface(self, surface: dict[str, Any]) -> None:
        material = self.surface_materials[surface["material"]]
        self.ground.data.materials[0] = material
        apply_surface(material, surface)

    def _apply_objects(self, objects: list[dict[str, Any]]) -> None:
        if len(objects) > MAX_OBJECTS:
            raise ValueError(f"objects: at most {MAX_OBJECTS} per scene, got {len(objects)}")
        for slot, obj in enumerate(self.products):
            obj.hide_render = slot >= len(objects)
        for obj, item in zip(self.products, objects, strict=False):
            verts, faces = shape_geometry(item["shape"], item["size"])
            write_mesh(obj.data, verts, faces, smooth=item["shape"] != "box")
            obj.pass_index = item["instance_id"]
            obj.location = item["location"]
            obj.rotation_euler = (0.0, 0.0, math.radians(item["yaw_deg"]))
            apply_product_material(obj.data.materials[0], item["material"])

    def labels(self) -> dict[str, Any]:
        """Per visible product: instance id, world matrix and the 8 world corners of its bounding box."""
        bpy.context.view_layer.update()
        instances = []
        for obj in self.products:
            if obj.hide_render:
                continue
            matrix = np.array(obj.matrix_world)
            corners = np.array([list(c) for c in obj.bound_box])
            corners_world = corners @ matrix[:3, :3].T + matrix[:3, 3]
            instances.append(
                {"instance_id": obj.pass_index, "matrix_world": matrix.tolist(), "box3d_world": corners_world.tolist()}
            )
        return {"instances": instances}
