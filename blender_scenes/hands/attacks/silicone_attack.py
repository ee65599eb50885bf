"""The silicone replica's material, put on the hand asset in place of the skin.

A cast copies the victim's palm relief (creases, from the same palm maps as the skin) but not its colour: one
pigment everywhere, shallower subsurface scattering, a waxy clear sheen, a mould seam along the side of the hand
(where the palmar and dorsal halves of the mould meet) and small air-bubble pits. In near infrared it is a
uniform grey: no blood, so no veins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bpy
import numpy as np

from blender_scenes.common.node_helpers import attribute, math_node, principled_material, rgb_node, value_node
from blender_scenes.hands.attacks.instrument import Instrument
from blender_scenes.hands.skin_material import palm_map_channels

if TYPE_CHECKING:
    from blender_scenes.hands.attacks.builder import AttackBuilder


def build_silicone_material(palm_image: bpy.types.Image) -> bpy.types.Material:
    material, tree, bsdf = principled_material("silicone", "RANDOM_WALK")

    nir_mode = value_node(tree, "nir_mode", 0.0)
    albedo = rgb_node(tree, "albedo", (0.6, 0.45, 0.4))
    nir_albedo = value_node(tree, "nir_albedo", 0.6)
    nir_rgb = tree.nodes.new("ShaderNodeCombineColor")
    for channel in ("Red", "Green", "Blue"):
        tree.links.new(nir_albedo, nir_rgb.inputs[channel])
    base = tree.nodes.new("ShaderNodeMix")
    base.data_type = "RGBA"
    tree.links.new(nir_mode, base.inputs["Factor"])
    colours = [s for s in base.inputs if s.type == "RGBA"]
    tree.links.new(albedo, colours[0])
    tree.links.new(nir_rgb.outputs["Color"], colours[1])
    tree.links.new(next(s for s in base.outputs if s.type == "RGBA"), bsdf.inputs["Base Color"])

    # Relief: the palm creases the mould copied, the seam ridge, bubble pits.
    _, channels, _ = palm_map_channels(tree, palm_image)
    crease = math_node(tree, "MULTIPLY", channels.outputs["Green"], attribute(tree, "palm_weight"))
    palmar = attribute(tree, "palmar_weight")
    # Ridge where palmar_weight crosses 0.5: 1 on the parting line, 0 a little away from it.
    seam = math_node(tree, "SUBTRACT", 1.0, math_node(tree, "MINIMUM", 1.0, math_node(
        tree, "MULTIPLY", math_node(tree, "ABSOLUTE", math_node(tree, "SUBTRACT", palmar, 0.5)), 12.0)))  # fmt: skip
    seam_height = value_node(tree, "seam_height_mm", 0.1)
    coords = tree.nodes.new("ShaderNodeTexCoord")
    bubbles = tree.nodes.new("ShaderNodeTexVoronoi")
    bubbles.name = "bubbles"
    bubbles.voronoi_dimensions = "4D"  # W moves the bubbles per sample
    bubbles.inputs["Scale"].default_value = 300.0
    tree.links.new(coords.outputs["Object"], bubbles.inputs["Vector"])
    bubble_radius = value_node(tree, "bubble_radius", 0.1)
    pit = math_node(tree, "LESS_THAN", bubbles.outputs["Distance"], bubble_radius)
    height = math_node(
        tree, "ADD",
        math_node(tree, "MULTIPLY", crease, 0.001),
        math_node(tree, "SUBTRACT",
              math_node(tree, "MULTIPLY", math_node(tree, "MULTIPLY", seam, seam_height), 0.001),
              math_node(tree, "MULTIPLY", pit, 0.0002)),
    )  # fmt: skip
    bump = tree.nodes.new("ShaderNodeBump")
    bump.inputs["Distance"].default_value = 1.0
    tree.links.new(height, bump.inputs["Height"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    bsdf.inputs["Subsurface Weight"].default_value = 1.0
    bsdf.inputs["Subsurface Scale"].default_value = 0.001
    bsdf.inputs["Coat Roughness"].default_value = 0.2
    bsdf.inputs["Specular IOR Level"].default_value = 0.6
    return material


def apply_silicone(material: bpy.types.Material, params: dict[str, Any]) -> None:
    nodes = material.node_tree.nodes
    nodes["albedo"].outputs[0].default_value = (*params["albedo_linear"], 1.0)
    nodes["nir_albedo"].outputs[0].default_value = params["nir_albedo"]
    nodes["seam_height_mm"].outputs[0].default_value = params["seam_height_mm"]
    # Bubble density -> pit radius in voronoi cells (0: none, 1: about 8% of cells pitted).
    nodes["bubble_radius"].outputs[0].default_value = 0.05 + 0.12 * params["bubbles"]
    nodes["bubbles"].inputs["W"].default_value = params["noise_seed"]
    bsdf = nodes["bsdf"]
    bsdf.inputs["Subsurface Radius"].default_value = params["subsurface_radius_mm"]
    bsdf.inputs["Roughness"].default_value = params["roughness"]
    bsdf.inputs["Coat Weight"].default_value = params["coat"]


def set_silicone_nir(material: bpy.types.Material, nir: bool) -> None:
    material.node_tree.nodes["nir_mode"].outputs[0].default_value = 1.0 if nir else 0.0


class SiliconeInstrument(Instrument):
    """The replica is the posed hand asset itself (a nearly rigid pose) wearing the silicone material."""

    def __init__(self, attack: AttackBuilder) -> None:
        super().__init__(attack)
        self.material = build_silicone_material(attack.hands.palm_image)

    def present(self, params: dict[str, Any], photo: np.ndarray | None) -> np.ndarray | None:
        self.attack.set_hand_material(self.material)
        apply_silicone(self.material, params)
        return None

    def set_nir(self, nir: bool) -> None:
        set_silicone_nir(self.material, nir)
