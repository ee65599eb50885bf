"""The Blender side of the sphere kind: a UV sphere (instance 1) on a ground quad, built once, changed per spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from blender_scenes.builder import SceneBuilder
from blender_scenes.common.stage import Stage, ground_quad, link
from blender_scenes.common.surface_materials import apply_surface, build_surface_material


class SphereBuilder(SceneBuilder):
    def __init__(self, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> None:
        self.stage = stage
        self.ground = ground_quad(scene, "sphere_ground", 6.0)
        self.ground_material = build_surface_material("tiles")
        self.ground.data.materials.append(self.ground_material)
        mesh = bpy.data.meshes.new("sphere")
        self.sphere = link(scene, bpy.data.objects.new("sphere", mesh))
        bpy.ops.object.select_all(action="DESELECT")
        bpy.ops.mesh.primitive_uv_sphere_add(radius=1.0, segments=48, ring_count=24)
        template = bpy.context.active_object
        self.sphere.data = template.data
        bpy.data.objects.remove(template)
        self.sphere.data.shade_smooth()
        self.material = bpy.data.materials.new("sphere")
        self.material.use_nodes = True
        self.sphere.data.materials.append(self.material)
        self.sphere.pass_index = 1

    def set_visible(self, visible: bool) -> None:
        self.ground.hide_render = self.sphere.hide_render = not visible

    def apply(self, spec: dict[str, Any]) -> None:
        radius = spec["sphere"]["radius_m"]
        self.sphere.scale = (radius, radius, radius)
        self.sphere.location = (0.0, 0.0, radius)
        self.material.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (
            *spec["sphere"]["colour"], 1.0
        )  # fmt: skip
        apply_surface(self.ground_material, spec["surface"])
        self.stage.apply_lighting(spec["lighting"])
        self.stage.apply_camera_spec(spec["camera"])

    def labels(self) -> dict[str, Any]:
        return {"instances": [{"instance_id": 1}]}
