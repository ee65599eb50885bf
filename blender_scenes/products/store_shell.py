"""The store round a gondola: a ceiling with rows of light fixtures and the wall of the next aisle behind it.

Each fixture is a diffuser (an emissive box the camera and glossy packs see: the highlights on a shop's packs)
and a rectangular area light just under it that does the lighting (sampled directly, so it stays clean at low
sample counts); the box is hidden from diffuse rays so the light is not counted twice.
"""

from __future__ import annotations

from typing import Any

import bpy
import numpy as np

from blender_scenes.common.stage import ground_quad, link, set_matrix
from synthgen.scenes.common.camera_math import look_at


def _emissive(name: str) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    tree.nodes.clear()
    emission = tree.nodes.new("ShaderNodeEmission")
    emission.name = "emission"
    output = tree.nodes.new("ShaderNodeOutputMaterial")
    tree.links.new(emission.outputs["Emission"], output.inputs["Surface"])
    return material


def _matte(name: str) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    material.node_tree.nodes["Principled BSDF"].inputs["Roughness"].default_value = 0.8
    return material


class StoreShell:
    """Ceiling, far wall and a pool of fixtures, built once; ``apply`` sets them from a spec's store lighting."""

    def __init__(self, scene: bpy.types.Scene, max_fixtures: int) -> None:
        self.ceiling_material, self.wall_material = _matte("store_ceiling"), _matte("store_wall")
        self.ceiling = ground_quad(scene, "store_ceiling", 40.0)
        self.ceiling.data.materials.append(self.ceiling_material)
        self.wall = ground_quad(scene, "store_wall", 40.0)
        self.wall.data.materials.append(self.wall_material)
        self.diffuser = _emissive("store_diffuser")
        self.tubes: list[bpy.types.Object] = []
        self.lights: list[bpy.types.Object] = []
        for i in range(max_fixtures):
            mesh = bpy.data.meshes.new(f"fixture_{i}")
            v = [(x, y, z) for z in (-0.5, 0.5) for y in (-0.5, 0.5) for x in (-0.5, 0.5)]
            faces = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
            mesh.from_pydata(v, [], faces)
            mesh.materials.append(self.diffuser)
            tube = link(scene, bpy.data.objects.new(f"fixture_{i}", mesh))
            tube.visible_diffuse = False  # the area light below does the lighting
            tube.visible_shadow = False
            self.tubes.append(tube)
            data = bpy.data.lights.new(f"fixture_light_{i}", "AREA")
            data.shape = "RECTANGLE"
            self.lights.append(link(scene, bpy.data.objects.new(f"fixture_light_{i}", data)))
        self.hide()

    def hide(self) -> None:
        for obj in [self.ceiling, self.wall, *self.tubes, *self.lights]:
            obj.hide_render = True

    def apply(self, store: dict[str, Any] | None, shelf: dict[str, Any] | None) -> None:
        self.hide()
        if not store:
            return
        ceiling = store["ceiling_m"]
        self.ceiling.hide_render = False
        set_matrix(self.ceiling, np.array([[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, ceiling], [0, 0, 0, 1.0]]))
        bsdf = self.ceiling_material.node_tree.nodes["Principled BSDF"]
        bsdf.inputs["Base Color"].default_value = (*store["ceiling_color"], 1.0)
        if shelf:  # the next aisle's wall of products, seen over the top of the gondola: a dim far wall
            self.wall.hide_render = False
            behind = shelf["depth_m"] / 2 + 2.5
            set_matrix(self.wall, look_at(np.array([0.0, behind, 0.0]), np.array([0.0, behind + 1.0, 0.0])))
            wall = self.wall_material.node_tree.nodes["Principled BSDF"]
            wall.inputs["Base Color"].default_value = (*store["wall_color"], 1.0)
        emission = self.diffuser.node_tree.nodes["emission"]
        emission.inputs["Color"].default_value = (*store["color"], 1.0)
        width = store["fixture_width_m"]
        for tube, light, fixture in zip(self.tubes, self.lights, store["fixtures"], strict=False):
            x, y, z = fixture["centre"]
            length = fixture["length_m"]
            tube.hide_render = light.hide_render = False
            set_matrix(tube, np.array([[length, 0, 0, x], [0, width, 0, y], [0, 0, 0.03, z], [0, 0, 0, 1.0]]))
            light.data.size, light.data.size_y = length, width
            light.data.energy = fixture["power_w"]
            light.data.color = store["color"]
            set_matrix(light, np.array([[1, 0, 0, x], [0, 1, 0, y], [0, 0, 1, z - 0.02], [0, 0, 0, 1.0]]))
        # The diffuser's radiance: the area light's power spread over its face (W / m^2 / pi), so what the camera
        # and glossy packs see matches what lights the scene.
        if store["fixtures"]:
            power = store["fixtures"][0]["power_w"]
            emission.inputs["Strength"].default_value = power / (store["fixtures"][0]["length_m"] * width * np.pi)
