"""The user's backgrounds in the render: an HDRI as the world light, a backplate seen by camera rays only, and a
surface texture on the scene's ground.

Built into the world once (nodes beside the stage's own) and switched per spec: with no HDRI the world output
takes the stage's world again, with no backplate camera rays see that same world. A backplate fills the frame
behind everything (window coordinates); a ground seen in front of it becomes a shadow catcher, so products stand
on the photo with their shadows, and a hand's backdrop is hidden (the hand is seen in front of the photo).
Every file is read only after its sha256 matches the spec's.
"""

from __future__ import annotations

import math
import os
from typing import Any

import bpy

from synthgen.assets.user_assets import file_sha256

HDRI_NODE = "user_hdri"


def checked_file(record: dict[str, Any]) -> str:
    """The record's file, after its sha256 matches the one the main process recorded (ValueError if not)."""
    stat = os.stat(record["file"])
    found = file_sha256(record["file"], stat.st_mtime_ns, stat.st_size)
    if found != record["sha256"]:
        raise ValueError(f"asset {record['path']!r} changed since the job started (sha256 {found}, spec has "
                         f"{record['sha256']})")  # fmt: skip
    return record["file"]


def _image(record: dict[str, Any], non_color: bool = False) -> bpy.types.Image:
    image = bpy.data.images.load(checked_file(record), check_existing=True)
    if non_color:
        image.colorspace_settings.name = "Non-Color"
    return image


class UserBackgrounds:
    """The world nodes of the user's HDRI and backplate, and the ground material of a user texture."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        tree = scene.world.node_tree
        self.output = tree.nodes["World Output"]
        self.stage_world = self.output.inputs["Surface"].links[0].from_socket  # the stage's own world shader
        nodes, links = tree.nodes, tree.links
        coords = nodes.new("ShaderNodeTexCoord")
        mapping = nodes.new("ShaderNodeMapping")
        mapping.name = "user_hdri_mapping"
        links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
        env = nodes.new("ShaderNodeTexEnvironment")
        env.name = HDRI_NODE
        links.new(mapping.outputs["Vector"], env.inputs["Vector"])
        hdri = nodes.new("ShaderNodeBackground")
        hdri.name = "user_hdri_background"
        links.new(env.outputs["Color"], hdri.inputs["Color"])
        plate = nodes.new("ShaderNodeTexImage")
        plate.name = "user_backplate"
        plate.extension = "EXTEND"
        links.new(coords.outputs["Window"], plate.inputs["Vector"])
        plate_bg = nodes.new("ShaderNodeBackground")
        plate_bg.name = "user_backplate_background"
        links.new(plate.outputs["Color"], plate_bg.inputs["Color"])
        self.light_switch = nodes.new("ShaderNodeMixShader")  # 0 = the stage's world, 1 = the HDRI
        self.light_switch.name = "user_light_switch"
        links.new(self.stage_world, self.light_switch.inputs[1])
        links.new(hdri.outputs["Background"], self.light_switch.inputs[2])
        camera_ray = nodes.new("ShaderNodeLightPath")
        self.plate_factor = nodes.new("ShaderNodeMath")
        self.plate_factor.operation = "MULTIPLY"
        links.new(camera_ray.outputs["Is Camera Ray"], self.plate_factor.inputs[0])
        self.plate_switch = nodes.new("ShaderNodeMixShader")  # camera rays see the backplate when it is on
        links.new(self.plate_factor.outputs["Value"], self.plate_switch.inputs["Fac"])
        links.new(self.light_switch.outputs["Shader"], self.plate_switch.inputs[1])
        links.new(plate_bg.outputs["Background"], self.plate_switch.inputs[2])
        self.texture_material = _texture_material()
        self.catchers: list[bpy.types.Object] = []

    def apply(self, record: dict[str, Any] | None, ground: bpy.types.Object | None,
              backdrops: list[bpy.types.Object] = ()) -> None:  # fmt: skip
        """Sets the world and ``ground`` (the builder's floor, if it has one) from ``spec["user_backgrounds"]``;
        a backplate hides ``backdrops`` (a hand's backdrop: the builder shows it again for the next spec)."""
        for obj in self.catchers:
            obj.is_shadow_catcher = False
        self.catchers = []
        tree = self.scene.world.node_tree
        record = record or {}
        hdri, plate, texture = record.get("hdri"), record.get("backplate"), record.get("texture")
        if hdri or plate:
            tree.links.new(self.plate_switch.outputs["Shader"], self.output.inputs["Surface"])
        else:  # the stage's world exactly as without user backgrounds
            tree.links.new(self.stage_world, self.output.inputs["Surface"])
            return
        self.light_switch.inputs["Fac"].default_value = 1.0 if hdri else 0.0
        if hdri:
            tree.nodes[HDRI_NODE].image = _image(hdri)
            turn = (0.0, 0.0, math.radians(hdri["rotation_deg"]))
            tree.nodes["user_hdri_mapping"].inputs["Rotation"].default_value = turn
            tree.nodes["user_hdri_background"].inputs["Strength"].default_value = 2.0 ** hdri["exposure_ev"]
        self.plate_factor.inputs[1].default_value = 1.0 if plate else 0.0
        if plate:
            tree.nodes["user_backplate"].image = _image(plate)
            for backdrop in backdrops:
                backdrop.hide_render = True
        if ground is not None and not ground.hide_render:
            if plate:
                ground.is_shadow_catcher = True  # the photo shows through, with the products' shadows on it
                self.catchers.append(ground)
            elif texture:
                self.apply_texture(texture, ground)

    def apply_texture(self, texture: dict[str, Any], ground: bpy.types.Object) -> None:
        nodes = self.texture_material.node_tree.nodes
        nodes["user_texture"].image = _image(texture)
        scale = 1.0 / texture["tile_m"]
        nodes["user_texture_mapping"].inputs["Scale"].default_value = (scale, scale, scale)
        nodes["user_texture_mapping"].inputs["Rotation"].default_value = (0, 0, math.radians(texture["rotation_deg"]))
        ground.data.materials[0] = self.texture_material  # the builder sets its own material again per spec


def _texture_material() -> bpy.types.Material:
    material = bpy.data.materials.new("user_surface_texture")
    material.use_nodes = True
    tree = material.node_tree
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.name = "user_texture_mapping"
    tree.links.new(coords.outputs["Object"], mapping.inputs["Vector"])  # metres on the ground plane
    image = tree.nodes.new("ShaderNodeTexImage")
    image.name = "user_texture"
    tree.links.new(mapping.outputs["Vector"], image.inputs["Vector"])
    bsdf = tree.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = 0.6
    tree.links.new(image.outputs["Color"], bsdf.inputs["Base Color"])
    return material
