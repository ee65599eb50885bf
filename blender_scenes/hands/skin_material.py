"""Physically based skin for the hand: subsurface scattering, palm creases and veins from per-identity maps,
pores, nails, and a near-infrared mode.

The palm maps live in one float image (R crease darkening, G crease height, B vein NIR absorption, A marks)
addressed through the ``palm_uv`` UV map; ``palm_weight`` and ``nail_weight`` are per-vertex attributes made
when the hand is built. ``nir_mode`` (0 or 1) switches the base colour to the NIR response: grey skin, dark
veins, faint creases, weak surface texture.
"""

from __future__ import annotations

from typing import Any

import bpy

from blender_scenes.common.label_passes import CREASE_AOV, VEIN_AOV
from blender_scenes.common.node_helpers import (
    attribute,
    math_node,
    mix_colour,
    principled_material,
    rgb_node,
    value_node,
)
from blender_scenes.hands.skin_detail import apply_detail, build_detail, detail_height, palm_pads
from blender_scenes.hands.skin_marks import add_skin_marks

PALM_MAP_SIZE = 512
NIR_CREASE_SHARE = 0.25  # a crease's NIR darkening as a share of its visible-light darkening
# Palm-vein sensors light the palm through a diffuser and usually cross-polarise LEDs and lens, which removes most
# of the skin's specular reflection (the hotspots that would hide the veins); what is left is the share below.
NIR_SPECULAR_SHARE = 0.3


def palm_map_channels(
    tree: bpy.types.NodeTree, palm_image: bpy.types.Image
) -> tuple[bpy.types.NodeSocket, bpy.types.Node, bpy.types.NodeSocket]:
    """The per-sample palm maps read on ``palm_uv``: (the uv, a node splitting R crease darkening, G crease height,
    B vein NIR, and the alpha socket, marks)."""
    uv = tree.nodes.new("ShaderNodeUVMap")
    uv.uv_map = "palm_uv"
    maps = tree.nodes.new("ShaderNodeTexImage")
    maps.name = "palm_maps"
    maps.image = palm_image
    maps.interpolation = "Linear"
    maps.extension = "EXTEND"
    tree.links.new(uv.outputs["UV"], maps.inputs["Vector"])
    channels = tree.nodes.new("ShaderNodeSeparateColor")
    tree.links.new(maps.outputs["Color"], channels.inputs["Color"])
    return uv.outputs["UV"], channels, maps.outputs["Alpha"]


def build_skin_material(palm_image: bpy.types.Image) -> bpy.types.Material:
    material, tree, bsdf = principled_material("skin", "RANDOM_WALK_SKIN")

    nir_mode = value_node(tree, "nir_mode", 0.0)
    palm_weight = attribute(tree, "palm_weight")
    palmar_weight = attribute(tree, "palmar_weight")
    nail_weight = attribute(tree, "nail_weight")

    palm_uv, channels, marks_alpha = palm_map_channels(tree, palm_image)
    crease_dark = math_node(tree, "MULTIPLY", channels.outputs["Red"], palm_weight)
    crease_height = math_node(tree, "MULTIPLY", channels.outputs["Green"], palm_weight)
    vein = math_node(tree, "MULTIPLY", channels.outputs["Blue"], palm_weight)
    marks = math_node(tree, "MULTIPLY", marks_alpha, 1.0)
    # The ground-truth palm maps for the opt-in label pass (blender_scenes.common.label_passes): AOV outputs
    # change no shading, and write nothing unless the view layer has AOVs of these names.
    for aov_name, value in ((CREASE_AOV, crease_dark), (VEIN_AOV, vein)):
        output = tree.nodes.new("ShaderNodeOutputAOV")
        output.aov_name = aov_name
        tree.links.new(value, output.inputs["Value"])

    # Skin texture sticks to the skin (rest coordinates in mm, offset per identity): creases at the finger joints,
    # wrinkles over the knuckles, pores, blotchy palms, redder finger tips (blender_scenes.hands.skin_detail).
    detail = build_detail(tree, palmar_weight)
    mottle = tree.nodes.new("ShaderNodeTexNoise")
    mottle.inputs["Scale"].default_value = 0.06  # per mm: blotches ~1.5 cm across
    mottle.inputs["Detail"].default_value = 3.0
    tree.links.new(detail.coords, mottle.inputs["Vector"])

    # The palmar side carries much less melanin than the back of the hand.
    albedo = mix_colour(
        tree,
        palmar_weight,
        rgb_node(tree, "albedo", (0.6, 0.42, 0.33)),
        rgb_node(tree, "palm_albedo", (0.65, 0.45, 0.38)),
    )
    # Flushed skin is the same skin with more blood: redder and a little darker, never a fixed pink (which
    # lightened dark skin).
    redness_node = tree.nodes.new("ShaderNodeVectorMath")
    redness_node.operation = "MULTIPLY"
    tree.links.new(albedo, redness_node.inputs[0])
    tree.links.new(rgb_node(tree, "redness", (1.15, 0.72, 0.72)), redness_node.inputs[1])
    redness = redness_node.outputs["Vector"]
    flush = math_node(tree, "MULTIPLY", mottle.outputs["Fac"], 0.35, name="flush_amount")
    flush = math_node(tree, "ADD", flush, math_node(tree, "MULTIPLY", detail.fingertip, 0.3))
    flush = math_node(
        tree, "ADD", flush, math_node(tree, "MULTIPLY", detail.palm_blotch, value_node(tree, "palm_mottle", 0.2))
    )
    pads = math_node(tree, "MULTIPLY", palm_pads(tree, palm_uv), palm_weight)
    flush = math_node(tree, "ADD", flush, math_node(tree, "MULTIPLY", pads, 0.3))
    skin = mix_colour(tree, math_node(tree, "MINIMUM", flush, 0.9), albedo, redness)
    # Knuckles: a darker, browner patch (strong in dark skin).
    knuckle_colour = tree.nodes.new("ShaderNodeVectorMath")
    knuckle_colour.operation = "MULTIPLY"
    tree.links.new(skin, knuckle_colour.inputs[0])
    knuckle_colour.inputs[1].default_value = (0.62, 0.55, 0.52)
    skin = mix_colour(
        tree, math_node(tree, "MULTIPLY", detail.knuckle_patch, value_node(tree, "knuckle_pigment", 0.1)), skin,
        knuckle_colour.outputs["Vector"],
    )  # fmt: skip
    # Dorsal veins: bluish and darker where they show through thin skin (a cooler tint of the skin itself).
    vein_colour = tree.nodes.new("ShaderNodeVectorMath")
    vein_colour.operation = "MULTIPLY"
    tree.links.new(skin, vein_colour.inputs[0])
    vein_colour.inputs[1].default_value = (0.72, 0.8, 0.95)
    skin = mix_colour(tree, detail.dorsal_veins, skin, vein_colour.outputs["Vector"])
    # The map's darkening is the crease floor's albedo change itself (strength 1): lines show under any light, not
    # only where a grazing light shades the groove.
    crease_strength = value_node(tree, "crease_strength", 1.0)
    digit_dark = math_node(tree, "MULTIPLY", detail.digit_crease, value_node(tree, "digit_crease_darkness", 0.3))
    darken = math_node(tree, "ADD", math_node(tree, "MULTIPLY", crease_dark, crease_strength), digit_dark)
    darken = math_node(tree, "ADD", darken, math_node(tree, "MULTIPLY", detail.wrinkle, 0.2))
    darken = math_node(tree, "ADD", darken, math_node(tree, "MULTIPLY", detail.nail_fold, 0.25))
    # Microrelief furrows hold a little shade and dirt: a slight albedo change as well as relief.
    darken = math_node(tree, "ADD", darken, math_node(tree, "MULTIPLY", detail.skin_lines, 0.08))
    keep = math_node(tree, "SUBTRACT", 1.0, math_node(tree, "MINIMUM", darken, 0.9))
    skin_scaled = tree.nodes.new("ShaderNodeVectorMath")
    skin_scaled.operation = "SCALE"
    tree.links.new(skin, skin_scaled.inputs[0])
    tree.links.new(keep, skin_scaled.inputs["Scale"])
    mark_colour = rgb_node(tree, "mark_colour", (0.25, 0.14, 0.1))
    skin_rgb = mix_colour(tree, marks, skin_scaled.outputs[0], mark_colour)
    skin_rgb = add_skin_marks(tree, skin_rgb)  # tattoos, scars, ink, dirt (the pose stream's hook)
    # Nails: the plate over the pink bed, a pale lunula at its base and a white free edge.
    nail_colour = rgb_node(tree, "nail_colour", (0.75, 0.55, 0.52))
    nail_colour = mix_colour(
        tree, math_node(tree, "MULTIPLY", detail.nail_lunula, 0.6), nail_colour, (0.85, 0.74, 0.72, 1.0)
    )
    skin_rgb = mix_colour(tree, nail_weight, skin_rgb, nail_colour)
    free_edge = math_node(tree, "MULTIPLY", detail.nail_free_edge, 0.55)
    skin_rgb = mix_colour(tree, free_edge, skin_rgb, (0.86, 0.82, 0.74, 1.0))

    # Near infrared: skin is bright and nearly uniform, deoxygenated blood in the veins absorbs; creases are fainter
    # than in visible light (850 nm sees under the crease's pigment and shadow) but still there.
    nir_albedo = value_node(tree, "nir_albedo", 0.6)
    vein_contrast = value_node(tree, "vein_contrast", 1.0)  # the map holds the identity's contrast; x the sample's
    vein_keep = math_node(tree, "SUBTRACT", 1.0, math_node(tree, "MULTIPLY", vein, vein_contrast))
    nir_dark = math_node(tree, "MULTIPLY", math_node(tree, "ADD", crease_dark, digit_dark), NIR_CREASE_SHARE)
    crease_keep_nir = math_node(tree, "SUBTRACT", 1.0, nir_dark)
    nir_grey = math_node(tree, "MULTIPLY", math_node(tree, "MULTIPLY", nir_albedo, vein_keep), crease_keep_nir)
    nir_rgb = tree.nodes.new("ShaderNodeCombineColor")
    for channel in ("Red", "Green", "Blue"):
        tree.links.new(nir_grey, nir_rgb.inputs[channel])
    base = mix_colour(tree, nir_mode, skin_rgb, nir_rgb.outputs["Color"])
    tree.links.new(base, bsdf.inputs["Base Color"])

    # Relief: pores, finger creases and knuckle wrinkles (weak in NIR), palm creases as grooves, the nail plate.
    height = math_node(
        tree, "ADD",
        detail_height(tree, detail, nir_mode),
        math_node(tree, "MULTIPLY", crease_height, 0.001),  # the map holds millimetres
    )  # fmt: skip
    bump = tree.nodes.new("ShaderNodeBump")
    bump.name = "bump"
    bump.inputs["Strength"].default_value = 1.0
    bump.inputs["Distance"].default_value = 1.0
    tree.links.new(height, bump.inputs["Height"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    # A glossy coat on the nails only.
    tree.links.new(
        math_node(tree, "MULTIPLY", nail_weight, value_node(tree, "nail_coat", 0.6)), bsdf.inputs["Coat Weight"]
    )
    bsdf.inputs["Coat Roughness"].default_value = 0.08
    bsdf.inputs["Coat Normal"].default_value = (0.0, 0.0, 0.0)

    roughness = math_node(
        tree,
        "ADD",
        value_node(tree, "roughness", 0.5),
        math_node(tree, "MULTIPLY", math_node(tree, "SUBTRACT", mottle.outputs["Fac"], 0.5), 0.15),
    )
    roughness = math_node(
        tree, "ADD", roughness, math_node(tree, "MULTIPLY", palmar_weight, 0.08)
    )  # palms are more matte
    nail_roughness = value_node(tree, "nail_roughness", 0.3)
    tree.links.new(
        math_node(tree, "ADD", math_node(tree, "MULTIPLY", roughness, math_node(tree, "SUBTRACT", 1.0, nail_weight)),
              math_node(tree, "MULTIPLY", nail_roughness, nail_weight)),
        bsdf.inputs["Roughness"],
    )  # fmt: skip
    bsdf.inputs["Subsurface Weight"].default_value = 1.0
    bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
    bsdf.inputs["Subsurface Scale"].default_value = 0.004
    bsdf.inputs["Specular IOR Level"].default_value = 0.5
    return material


def apply_skin(material: bpy.types.Material, identity: dict[str, Any], variation: dict[str, Any], nir: bool) -> None:
    """Sets the identity's skin and nails and the sample's skin state; ``nir`` switches to the NIR response."""
    nodes = material.node_tree.nodes
    skin, nails, state = identity["skin"], identity["nails"], variation["skin_state"]
    nodes["albedo"].outputs[0].default_value = (*skin["albedo_linear"], 1.0)
    nodes["palm_albedo"].outputs[0].default_value = (*skin["palm_albedo_linear"], 1.0)
    nodes["roughness"].outputs[0].default_value = min(0.95, max(0.05, skin["roughness"] + state["roughness_offset"]))
    nodes["nir_albedo"].outputs[0].default_value = skin["nir_albedo"]
    # The palm map's vein absorption already carries the identity's contrast and the sample's scale.
    nodes["vein_contrast"].outputs[0].default_value = 1.0
    nodes["nir_mode"].outputs[0].default_value = 1.0 if nir else 0.0
    bsdf = nodes["bsdf"]
    bsdf.inputs["Subsurface Radius"].default_value = skin["subsurface_radius_mm"]
    bsdf.inputs["Subsurface Scale"].default_value = 0.001 * skin["subsurface_scale"]  # radii are millimetres
    specular = 0.5 * state["specular_scale"]
    bsdf.inputs["Specular IOR Level"].default_value = specular * (NIR_SPECULAR_SHARE if nir else 1.0)
    polish = nails.get("polish")
    nail = polish or nails
    nodes["nail_colour"].outputs[0].default_value = (*nail["colour_linear"], 1.0)
    nodes["nail_roughness"].outputs[0].default_value = max(0.05, 1.0 - nail["gloss"])
    nodes["nail_coat"].outputs[0].default_value = 0.3 + 0.6 * nail["gloss"]
    apply_detail(nodes, identity)
