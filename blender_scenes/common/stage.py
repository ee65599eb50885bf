"""What every scene shares: the camera, the world light and a pool of lights (area or point)."""

from __future__ import annotations

import math
from typing import Any

import bpy
import mathutils
import numpy as np

from synthgen.scenes.common.camera_math import look_at

MAX_LIGHTS = 6
GROUND_ALBEDO = (0.25, 0.22, 0.18, 1.0)  # below the horizon of a sky: dry earth and grass, greyish brown


def link(scene: bpy.types.Scene, obj: bpy.types.Object) -> bpy.types.Object:
    scene.collection.objects.link(obj)
    return obj


def set_matrix(obj: bpy.types.Object, matrix: np.ndarray) -> None:
    # A plain list of rows would be read column by column: build a Matrix from rows explicitly.
    obj.matrix_world = mathutils.Matrix(np.asarray(matrix).tolist())


def ground_quad(scene: bpy.types.Scene, name: str, size_m: float) -> bpy.types.Object:
    """A square plane of side ``size_m`` on z = 0 (normal +Z), linked into ``scene``: a floor or a backdrop."""
    half = size_m / 2.0
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(-half, -half, 0), (half, -half, 0), (half, half, 0), (-half, half, 0)], [], [(0, 1, 2, 3)])
    return link(scene, bpy.data.objects.new(name, mesh))


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
        # The sky model is black below the horizon (it has no ground). Below it the world shows a ground lit by
        # that sky instead: the sky's brightness in the mirrored direction, without the sun, times a ground albedo.
        direction = tree.nodes.new("ShaderNodeTexCoord").outputs["Generated"]  # the ray direction, for a world
        xyz = tree.nodes.new("ShaderNodeSeparateXYZ")
        tree.links.new(direction, xyz.inputs["Vector"])
        up = tree.nodes.new("ShaderNodeMath")
        up.operation = "ABSOLUTE"
        tree.links.new(xyz.outputs["Z"], up.inputs[0])
        mirrored = tree.nodes.new("ShaderNodeCombineXYZ")
        for axis, socket in (("X", xyz.outputs["X"]), ("Y", xyz.outputs["Y"]), ("Z", up.outputs[0])):
            tree.links.new(socket, mirrored.inputs[axis])
        ground_sky = tree.nodes.new("ShaderNodeTexSky")
        ground_sky.name = "ground_sky_texture"
        ground_sky.sky_type = "MULTIPLE_SCATTERING"
        ground_sky.sun_disc = False
        tree.links.new(mirrored.outputs["Vector"], ground_sky.inputs["Vector"])
        skylight = tree.nodes.new("ShaderNodeRGBToBW")  # the ground is lit by the sky's light, not tinted blue by it
        tree.links.new(ground_sky.outputs["Color"], skylight.inputs["Color"])
        ground = tree.nodes.new("ShaderNodeMix")
        ground.data_type = "RGBA"
        ground.blend_type = "MULTIPLY"
        ground.inputs["Factor"].default_value = 1.0
        tree.links.new(skylight.outputs["Val"], ground.inputs["A"])
        ground.inputs["B"].default_value = GROUND_ALBEDO
        horizon = tree.nodes.new("ShaderNodeMapRange")
        horizon.interpolation_type = "SMOOTHSTEP"
        horizon.inputs["From Min"].default_value = -0.02
        horizon.inputs["From Max"].default_value = 0.02
        tree.links.new(xyz.outputs["Z"], horizon.inputs["Value"])
        sky_or_ground = tree.nodes.new("ShaderNodeMix")
        sky_or_ground.data_type = "RGBA"
        tree.links.new(horizon.outputs["Result"], sky_or_ground.inputs["Factor"])
        tree.links.new(ground.outputs["Result"], sky_or_ground.inputs["A"])
        tree.links.new(sky_texture.outputs["Color"], sky_or_ground.inputs["B"])
        tree.links.new(sky_or_ground.outputs["Result"], sky.inputs["Color"])
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
            for texture in (nodes["sky_texture"], nodes["ground_sky_texture"]):
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

    def apply_camera_spec(self, camera: dict[str, Any]) -> None:
        """A camera spec that names its location and the point it looks at (tabletop and products scenes)."""
        self.apply_camera(
            np.array(camera["location"]), np.array(camera["look_at"]), camera["roll_deg"], camera["focal_mm"],
            camera["sensor_mm"],
        )  # fmt: skip

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
