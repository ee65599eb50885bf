"""The tabletop scene: built once per worker, then changed in place for each spec."""

from __future__ import annotations

import math
from typing import Any

import bpy
import mathutils
import numpy as np

from blender_scenes.materials import (
    SURFACE_FAMILIES,
    apply_product_material,
    apply_surface,
    build_product_material,
    build_surface_material,
)
from blender_scenes.product_meshes import shape_geometry, write_mesh
from synthgen.camera_math import look_at

MAX_OBJECTS = 8
MAX_LIGHTS = 6
GROUND_SIZE_M = 8.0
BEVEL_M = 0.003


def _link(scene: bpy.types.Scene, obj: bpy.types.Object) -> bpy.types.Object:
    scene.collection.objects.link(obj)
    return obj


def _set_matrix(obj: bpy.types.Object, matrix: np.ndarray) -> None:
    # A plain list of rows would be read column by column: build a Matrix from rows explicitly.
    obj.matrix_world = mathutils.Matrix(np.asarray(matrix).tolist())


class TabletopScene:
    """Owns every Blender datablock of the scene; ``apply`` sets them from a spec."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        ground_mesh = bpy.data.meshes.new("ground")
        half = GROUND_SIZE_M / 2.0
        ground_mesh.from_pydata(
            [(-half, -half, 0), (half, -half, 0), (half, half, 0), (-half, half, 0)], [], [(0, 1, 2, 3)]
        )
        self.ground = _link(scene, bpy.data.objects.new("ground", ground_mesh))
        self.ground.pass_index = 0
        self.surface_materials = {family: build_surface_material(family) for family in SURFACE_FAMILIES}
        self.ground.data.materials.append(self.surface_materials[SURFACE_FAMILIES[0]])

        self.products: list[bpy.types.Object] = []
        for slot in range(MAX_OBJECTS):
            obj = _link(scene, bpy.data.objects.new(f"product_{slot}", bpy.data.meshes.new(f"product_{slot}")))
            obj.data.materials.append(build_product_material(f"product_{slot}"))
            bevel = obj.modifiers.new("bevel", "BEVEL")
            bevel.width, bevel.segments, bevel.limit_method = BEVEL_M, 3, "ANGLE"
            bevel.harden_normals = True
            obj.hide_render = True
            self.products.append(obj)

        self.lights: list[bpy.types.Object] = []
        for slot in range(MAX_LIGHTS):
            light = _link(scene, bpy.data.objects.new(f"light_{slot}", bpy.data.lights.new(f"light_{slot}", "AREA")))
            light.hide_render = True
            self.lights.append(light)

        self.camera = _link(scene, bpy.data.objects.new("camera", bpy.data.cameras.new("camera")))
        scene.camera = self.camera
        scene.world = bpy.data.worlds.new("world")
        scene.world.use_nodes = True

    def apply(self, spec: dict[str, Any]) -> None:
        self._apply_surface(spec["surface"])
        self._apply_objects(spec["objects"])
        self._apply_lighting(spec["lighting"])
        self._apply_camera(spec["camera"])

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

    def _apply_lighting(self, lighting: dict[str, Any]) -> None:
        world = lighting["world"]
        background = self.scene.world.node_tree.nodes["Background"]
        background.inputs["Color"].default_value = (*world["color"], 1.0)
        background.inputs["Strength"].default_value = world["strength"]
        specs = lighting["lights"]
        if len(specs) > MAX_LIGHTS:
            raise ValueError(f"lighting.lights: at most {MAX_LIGHTS}, got {len(specs)}")
        for slot, light in enumerate(self.lights):
            light.hide_render = slot >= len(specs)
        for light, item in zip(self.lights, specs, strict=False):
            light.data.energy = item["power_w"]
            light.data.size = item["size_m"]
            light.data.color = item["color"]
            _set_matrix(light, look_at(np.array(item["location"]), np.array(item["look_at"])))

    def _apply_camera(self, camera: dict[str, Any]) -> None:
        data = self.camera.data
        data.lens = camera["focal_mm"]
        data.sensor_width = camera["sensor_mm"]
        data.sensor_fit = "AUTO"
        _set_matrix(
            self.camera,
            look_at(np.array(camera["location"]), np.array(camera["look_at"]), camera["roll_deg"]),
        )

    def instances(self) -> list[dict[str, Any]]:
        """Per visible product: instance id, world matrix and the 8 world corners of its bounding box."""
        bpy.context.view_layer.update()
        result = []
        for obj in self.products:
            if obj.hide_render:
                continue
            matrix = np.array(obj.matrix_world)
            corners = np.array([list(c) for c in obj.bound_box])
            corners_world = corners @ matrix[:3, :3].T + matrix[:3, 3]
            result.append(
                {
                    "instance_id": obj.pass_index,
                    "matrix_world": matrix.tolist(),
                    "box3d_world": corners_world.tolist(),
                }
            )
        return result

    def camera_record(self) -> dict[str, Any]:
        """What Blender itself says about the camera (labels are computed from this, not from the spec)."""
        data = self.camera.data
        return {
            "matrix_world": np.array(self.camera.matrix_world).tolist(),
            "lens_mm": data.lens,
            "sensor_width_mm": data.sensor_width,
            "sensor_height_mm": data.sensor_height,
            "sensor_fit": data.sensor_fit,
            "shift_x": data.shift_x,
            "shift_y": data.shift_y,
            "resolution": [self.scene.render.resolution_x, self.scene.render.resolution_y],
        }
