"""What every scene shares: the camera, the world light and a pool of lights (area or point)."""

from __future__ import annotations

import math
from typing import Any

import bpy
import mathutils
import numpy as np

from synthgen.camera_math import look_at

MAX_LIGHTS = 6


def link(scene: bpy.types.Scene, obj: bpy.types.Object) -> bpy.types.Object:
    scene.collection.objects.link(obj)
    return obj


def set_matrix(obj: bpy.types.Object, matrix: np.ndarray) -> None:
    # A plain list of rows would be read column by column: build a Matrix from rows explicitly.
    obj.matrix_world = mathutils.Matrix(np.asarray(matrix).tolist())


class Stage:
    """Camera, world and lights, built once; ``apply_*`` set them from a spec."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        self.lights: list[bpy.types.Object] = []
        for slot in range(MAX_LIGHTS):
            light = link(scene, bpy.data.objects.new(f"light_{slot}", bpy.data.lights.new(f"light_{slot}", "AREA")))
            light.hide_render = True
            self.lights.append(light)
        self.camera = link(scene, bpy.data.objects.new("camera", bpy.data.cameras.new("camera")))
        scene.camera = self.camera
        scene.world = bpy.data.worlds.new("world")
        scene.world.use_nodes = True
        self._build_world(scene.world.node_tree)

    @staticmethod
    def _build_world(tree: bpy.types.NodeTree) -> None:
        """A uniform background and a physical sky (with sun), mixed by ``world_mix`` (0 = uniform, 1 = sky)."""
        uniform = tree.nodes["Background"]
        sky_texture = tree.nodes.new("ShaderNodeTexSky")
        sky_texture.name = "sky_texture"
        sky_texture.sky_type = "MULTIPLE_SCATTERING"
        sky_texture.sun_disc = True
        sky = tree.nodes.new("ShaderNodeBackground")
        sky.name = "Sky"
        tree.links.new(sky_texture.outputs["Color"], sky.inputs["Color"])
        mix = tree.nodes.new("ShaderNodeMixShader")
        mix.name = "world_mix"
        tree.links.new(uniform.outputs["Background"], mix.inputs[1])
        tree.links.new(sky.outputs["Background"], mix.inputs[2])
        tree.links.new(mix.outputs["Shader"], tree.nodes["World Output"].inputs["Surface"])

    def set_ambient(self, strength: float) -> dict[str, float]:
        """Dims the whole world (both lights) to ``strength``; returns what restores it."""
        nodes = self.scene.world.node_tree.nodes
        saved = {name: nodes[name].inputs["Strength"].default_value for name in ("Background", "Sky")}
        nodes["Background"].inputs["Strength"].default_value = strength
        nodes["Sky"].inputs["Strength"].default_value = 0.0
        return saved

    def restore_ambient(self, saved: dict[str, float]) -> None:
        nodes = self.scene.world.node_tree.nodes
        for name, strength in saved.items():
            nodes[name].inputs["Strength"].default_value = strength

    def apply_lighting(self, lighting: dict[str, Any]) -> None:
        world = lighting["world"]
        background = self.scene.world.node_tree.nodes["Background"]
        background.inputs["Color"].default_value = (*world["color"], 1.0)
        background.inputs["Strength"].default_value = world["strength"]
        nodes = self.scene.world.node_tree.nodes
        sky = world.get("sky") or {"enabled": False}
        nodes["world_mix"].inputs["Fac"].default_value = 1.0 if sky["enabled"] else 0.0
        if sky["enabled"]:
            nodes["Sky"].inputs["Strength"].default_value = sky["strength"]
            texture = nodes["sky_texture"]
            texture.sun_elevation = math.radians(sky["sun_elevation_deg"])
            texture.sun_rotation = math.radians(sky["sun_rotation_deg"])
        specs = lighting["lights"]
        if len(specs) > MAX_LIGHTS:
            raise ValueError(f"lighting.lights: at most {MAX_LIGHTS}, got {len(specs)}")
        for slot, light in enumerate(self.lights):
            light.hide_render = slot >= len(specs)
        for light, item in zip(self.lights, specs, strict=False):
            kind = item.get("type", "AREA")
            if light.data.type != kind:
                light.data.type = kind  # the same light datablock becomes an area or a point light
            light.data.energy = item["power_w"]
            if kind == "POINT":
                light.data.shadow_soft_size = item["size_m"]  # the bulb's radius
            else:
                light.data.size = item["size_m"]
            light.data.color = item["color"]
            set_matrix(light, look_at(np.array(item["location"]), np.array(item["look_at"])))

    def apply_camera(
        self,
        location: np.ndarray,
        target: np.ndarray,
        roll_deg: float,
        focal_mm: float,
        sensor_mm: float,
        up_hint: np.ndarray | None = None,
    ) -> None:
        data = self.camera.data
        data.lens = focal_mm
        data.sensor_width = sensor_mm
        data.sensor_fit = "AUTO"
        data.clip_start = 0.005
        set_matrix(self.camera, look_at(location, target, roll_deg, up_hint))

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
