"""The screen-replay instrument: a phone or tablet (rounded body, bezel) whose display shows the victim's photo.

The display emits the photo through an RGB stripe sub-pixel grid (with the black matrix between sub-pixels), so a
camera sampling it can alias into moire; the cover glass is a smooth dielectric that mirrors the lights. In
near infrared the display emits nothing: only the glass reflection of the sensor's LED and the body remain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bpy
import numpy as np

from blender_scenes.common.node_helpers import math_node, principled_material
from blender_scenes.common.stage import link, set_matrix
from blender_scenes.hands.attacks.instrument import Instrument
from blender_scenes.hands.builder import HAND_INSTANCE_ID
from synthgen.scenes.hands.attacks.screen_attack import rounded_slab

if TYPE_CHECKING:
    from blender_scenes.hands.attacks.builder import AttackBuilder
from blender_scenes.hands.attacks.print_attack import upload

SUBPIXEL_FILL = (0.8, 0.85)  # lit share of a sub-pixel across / along the stripes


class ScreenDevice:
    def __init__(self, scene: bpy.types.Scene, pass_index: int) -> None:
        self.image = bpy.data.images.new("screen_image", 8, 8, alpha=True, float_buffer=True)
        self.image.colorspace_settings.name = "Linear Rec.709"
        self.screen_material = self._build_screen_material()
        self.body_material = bpy.data.materials.new("device_body")
        self.body_material.use_nodes = True
        body_bsdf = self.body_material.node_tree.nodes["Principled BSDF"]
        body_bsdf.inputs["Roughness"].default_value = 0.35
        body_bsdf.inputs["Metallic"].default_value = 0.3
        self.body = link(scene, bpy.data.objects.new("device_body", bpy.data.meshes.new("device_body")))
        screen_mesh = bpy.data.meshes.new("device_screen")
        screen_mesh.from_pydata([(-0.5, -0.5, 0), (0.5, -0.5, 0), (0.5, 0.5, 0), (-0.5, 0.5, 0)], [], [(0, 1, 2, 3)])
        screen_mesh.uv_layers.new(name="screen_uv").data.foreach_set("uv", [0, 0, 1, 0, 1, 1, 0, 1])
        screen_mesh.materials.append(self.screen_material)
        self.screen = link(scene, bpy.data.objects.new("device_screen", screen_mesh))
        for obj in (self.body, self.screen):
            obj.pass_index = pass_index
            obj.hide_render = True
        self.screen_frame = np.eye(4)
        self.screen_size = (0.06, 0.13)
        self.photo_box = (0.0, 0.0, 1.0, 1.0)  # screen uv of the photo: u0, v0, du, dv

    def _build_screen_material(self) -> bpy.types.Material:
        material, tree, bsdf = principled_material("device_screen")
        bsdf.inputs["Base Color"].default_value = (0.004, 0.004, 0.004, 1.0)  # an unlit panel is black
        bsdf.inputs["IOR"].default_value = 1.52
        uv = tree.nodes.new("ShaderNodeUVMap")
        uv.uv_map = "screen_uv"
        # The photo inside the screen: uv -> photo coordinates (outside the photo: black, CLIP).
        to_photo = tree.nodes.new("ShaderNodeMapping")
        to_photo.name = "to_photo"
        tree.links.new(uv.outputs["UV"], to_photo.inputs["Vector"])
        texture = tree.nodes.new("ShaderNodeTexImage")
        texture.image = self.image
        texture.interpolation = "Linear"
        texture.extension = "CLIP"
        tree.links.new(to_photo.outputs["Vector"], texture.inputs["Vector"])
        # Sub-pixel grid: columns of R, G, B stripes, each lit over part of its width and height.
        split = tree.nodes.new("ShaderNodeSeparateXYZ")
        tree.links.new(uv.outputs["UV"], split.inputs["Vector"])
        columns = math_node(tree, "MULTIPLY", split.outputs["X"], 300.0, name="pixels_across")
        rows = math_node(tree, "MULTIPLY", split.outputs["Y"], 600.0, name="pixels_along")
        phase = math_node(tree, "FRACT", columns)
        sub_phase = math_node(tree, "FRACT", math_node(tree, "MULTIPLY", phase, 3.0))
        lit = math_node(
            tree, "MULTIPLY",
            math_node(tree, "LESS_THAN", sub_phase, SUBPIXEL_FILL[0]),
            math_node(tree, "LESS_THAN", math_node(tree, "FRACT", rows), SUBPIXEL_FILL[1]),
        )  # fmt: skip
        gain = math_node(tree, "MULTIPLY", lit, 3.0 / (SUBPIXEL_FILL[0] * SUBPIXEL_FILL[1]))
        red = math_node(tree, "MULTIPLY", math_node(tree, "LESS_THAN", phase, 1 / 3), gain)
        blue = math_node(tree, "MULTIPLY", math_node(tree, "GREATER_THAN", phase, 2 / 3), gain)
        green = math_node(tree, "SUBTRACT", gain, math_node(tree, "ADD", red, blue))
        mask = tree.nodes.new("ShaderNodeCombineColor")
        for socket, value in (("Red", red), ("Green", green), ("Blue", blue)):
            tree.links.new(value, mask.inputs[socket])
        emit = tree.nodes.new("ShaderNodeMix")
        emit.data_type = "RGBA"
        emit.blend_type = "MULTIPLY"
        emit.inputs["Factor"].default_value = 1.0
        colours = [s for s in emit.inputs if s.type == "RGBA"]
        tree.links.new(texture.outputs["Color"], colours[0])
        tree.links.new(mask.outputs["Color"], colours[1])
        tree.links.new(next(s for s in emit.outputs if s.type == "RGBA"), bsdf.inputs["Emission Color"])
        brightness = tree.nodes.new("ShaderNodeValue")
        brightness.name = "brightness"
        nir_mode = tree.nodes.new("ShaderNodeValue")
        nir_mode.name = "nir_mode"
        nir_mode.outputs[0].default_value = 0.0
        # The display's emission has no near-infrared part: off in the NIR capture.
        strength = math_node(
            tree, "MULTIPLY", brightness.outputs[0], math_node(tree, "SUBTRACT", 1.0, nir_mode.outputs[0])
        )
        tree.links.new(strength, bsdf.inputs["Emission Strength"])
        return material

    def apply(self, params: dict[str, Any], photo_linear: np.ndarray, frame: np.ndarray) -> None:
        """Places the device (screen centre at ``frame``, 4x4) and shows ``photo_linear`` (H, W, 3) on it."""
        height, width = photo_linear.shape[:2]
        upload(self.image, np.concatenate([photo_linear, np.ones((height, width, 1))], axis=-1))
        w, h, t = params["width"], params["height"], params["thickness"]
        screen_w, screen_h = w - 2 * params["side_bezel"], h - 2 * params["end_bezel"]
        vertices, faces = rounded_slab(w, h, t, min(w, h) * 0.09)
        old = self.body.data
        mesh = bpy.data.meshes.new("device_body")
        mesh.from_pydata(vertices, [], faces)
        mesh.materials.append(self.body_material)
        self.body.data = mesh
        bpy.data.meshes.remove(old)
        set_matrix(self.body, frame @ _translation(0, 0, -0.0002))  # the glass sits just above the body
        set_matrix(self.screen, frame @ np.diag([screen_w, screen_h, 1.0, 1.0]))
        self.screen_frame, self.screen_size = frame, (screen_w, screen_h)
        # The photo fills ``fit`` of the screen's narrower side, keeping its aspect, centred.
        aspect = width / height
        photo_w = min(screen_w, screen_h * aspect) * params["fit"]
        photo_h = photo_w / aspect
        du, dv = photo_w / screen_w, photo_h / screen_h
        self.photo_box = ((1 - du) / 2, (1 - dv) / 2, du, dv)
        nodes = self.screen_material.node_tree.nodes
        nodes["to_photo"].inputs["Location"].default_value = (-self.photo_box[0] / du, -self.photo_box[1] / dv, 0.0)
        nodes["to_photo"].inputs["Scale"].default_value = (1.0 / du, 1.0 / dv, 1.0)
        pitch = params["pixel_pitch_mm"] / 1000.0
        nodes["pixels_across"].inputs[1].default_value = screen_w / pitch
        nodes["pixels_along"].inputs[1].default_value = screen_h / pitch
        nodes["brightness"].outputs[0].default_value = params["brightness"]
        nodes["bsdf"].inputs["Roughness"].default_value = params["glass_roughness"]
        body = self.body_material.node_tree.nodes["Principled BSDF"]
        body.inputs["Base Color"].default_value = (*params["body_colour"], 1.0)
        for obj in (self.body, self.screen):
            obj.hide_render = False

    def set_nir(self, nir: bool) -> None:
        self.screen_material.node_tree.nodes["nir_mode"].outputs[0].default_value = 1.0 if nir else 0.0

    def hide(self) -> None:
        self.body.hide_render = self.screen.hide_render = True

    def world_points(self, photo_uv: np.ndarray) -> np.ndarray:
        """World points of photo coordinates (N, 2) (0..1, v up) on the screen surface."""
        u0, v0, du, dv = self.photo_box
        screen_uv = np.stack([u0 + photo_uv[:, 0] * du, v0 + photo_uv[:, 1] * dv], axis=1)
        local = np.stack(
            [(screen_uv[:, 0] - 0.5) * self.screen_size[0], (screen_uv[:, 1] - 0.5) * self.screen_size[1]], axis=1
        )
        points = np.concatenate([local, np.zeros((len(local), 1))], axis=1)
        return points @ self.screen_frame[:3, :3].T + self.screen_frame[:3, 3]


def _translation(x: float, y: float, z: float) -> np.ndarray:
    matrix = np.eye(4)
    matrix[:3, 3] = (x, y, z)
    return matrix


class ScreenInstrument(Instrument):
    """A phone or tablet showing the victim's photo through its panel's gamma, maybe pinched at its bottom edge."""

    def __init__(self, attack: AttackBuilder) -> None:
        super().__init__(attack)
        self.device = ScreenDevice(attack.scene, HAND_INSTANCE_ID)

    def present(self, params: dict[str, Any], photo: np.ndarray | None) -> np.ndarray | None:
        source = self.attack.source
        assert source is not None and photo is not None
        display = photo.astype(np.float64) / 255.0
        if display.ndim == 2:
            display = np.repeat(display[..., None], 3, axis=-1)
        # The photo file holds display values; the panel's gamma turns them into light.
        self.device.apply(params, display ** params["gamma"], self.attack.frame)
        holder = params.get("holder")
        if holder:
            self.attack.hold(
                holder, ((holder["edge_position"] - 0.5) * params["width"], holder["inset_m"] - params["height"] / 2)
            )
        return self.device.world_points(source.keypoints_uv)

    def set_nir(self, nir: bool) -> None:
        self.device.set_nir(nir)

    def hide(self) -> None:
        self.device.hide()
