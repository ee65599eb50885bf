"""Skin detail that follows the geometry: finger flexion creases, knuckle wrinkles, skin texture that sticks to
the skin, and nail structure, as shader sub-graphs of the skin material.

Inputs are the per-vertex attributes written when a hand shape is set (``synthgen.scenes.hands.finger_space``:
``crease_d``, ``crease_pair``, ``knuckle_d``, ``knuckle_scale``, ``finger_lat``, ``finger_palmar``,
``finger_dorsal``, ``fingertip``; ``rest_co`` in mm; ``nail_weight`` and ``nail_v``), so the detail moves with the
skin in every pose. Lengths are millimetres; heights are returned in metres for the bump node. The identity's
``detail`` record sets the named value nodes (:func:`apply_detail`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import bpy

from blender_scenes.common.node_helpers import attribute, attribute_vector, gaussian, math_node, smoothstep, value_node

# Defaults of the identity-level values, used when a spec has no ``detail`` record (older specs).
DETAIL_DEFAULTS: dict[str, float] = {
    "digit_crease_darkness": 0.4,
    "digit_crease_width_mm": 0.7,
    "digit_crease_depth_mm": 0.18,
    "wrinkle_depth_mm": 0.08,
    "wrinkle_period_mm": 1.2,
    "wrinkle_arch_per_mm": 0.015,
    "knuckle_pigment": 0.1,
    "palm_mottle": 0.35,
    "pore_depth_mm": 0.035,
    "dorsal_veins": 0.5,
    "skin_lines": 0.5,
}


@dataclass
class SkinDetail:
    """Sockets the skin material combines: darkening factors (0..1), colour weights and heights (metres)."""

    coords: bpy.types.NodeSocket  # rest position (mm) + the identity's texture offset
    digit_crease: bpy.types.NodeSocket  # line strength of the palmar finger creases
    wrinkle: bpy.types.NodeSocket  # dorsal knuckle wrinkles
    knuckle_patch: bpy.types.NodeSocket  # pigmented skin over the knuckles (weight)
    fingertip: bpy.types.NodeSocket  # redder finger pads and tips (weight)
    palm_blotch: bpy.types.NodeSocket  # the red-and-white mottling of palms (weight)
    pores: bpy.types.NodeSocket  # pore relief, 0..1
    skin_lines: bpy.types.NodeSocket  # the furrows of the skin's polygonal microrelief, 0..1 (1 in a furrow)
    nail_lunula: bpy.types.NodeSocket
    nail_free_edge: bpy.types.NodeSocket
    nail_fold: bpy.types.NodeSocket
    dorsal_veins: bpy.types.NodeSocket  # superficial veins on the back of the hand (weight)


def build_detail(tree: bpy.types.NodeTree, palmar_weight: bpy.types.NodeSocket) -> SkinDetail:
    rest = attribute_vector(tree, "rest_co")
    offset = tree.nodes.new("ShaderNodeCombineXYZ")
    offset.name = "texture_offset"
    coords_node = tree.nodes.new("ShaderNodeVectorMath")
    coords_node.operation = "ADD"
    tree.links.new(rest, coords_node.inputs[0])
    tree.links.new(offset.outputs["Vector"], coords_node.inputs[1])
    coords = coords_node.outputs["Vector"]

    def noise(scale: float, detail: float = 2.0) -> bpy.types.NodeSocket:
        node = tree.nodes.new("ShaderNodeTexNoise")
        node.inputs["Scale"].default_value = scale
        node.inputs["Detail"].default_value = detail
        tree.links.new(coords, node.inputs["Vector"])
        return node.outputs["Fac"]

    # Lines are never straight or even: a slow wobble of their position (+-1 mm) and breaks in their strength.
    wobble = math_node(tree, "MULTIPLY", math_node(tree, "SUBTRACT", noise(0.08), 0.5), 2.0)
    breakup = smoothstep(tree, 0.3, 0.6, noise(0.12, 3.0))
    breakup = math_node(tree, "ADD", math_node(tree, "MULTIPLY", breakup, 0.65), 0.35)

    # Palmar digital creases: a Gaussian line (or a pair) across the finger, on its palmar side only.
    sigma = math_node(tree, "MULTIPLY", value_node(tree, "digit_crease_width_mm", 0.35), 0.5)
    d = math_node(tree, "ADD", attribute(tree, "crease_d"), wobble)
    pair = attribute(tree, "crease_pair")
    line = math_node(
        tree,
        "MAXIMUM",
        gaussian(tree, math_node(tree, "SUBTRACT", d, pair), sigma),
        gaussian(tree, math_node(tree, "ADD", d, pair), sigma),
    )
    digit_crease = math_node(
        tree, "MULTIPLY", math_node(tree, "MULTIPLY", line, attribute(tree, "finger_palmar")), breakup
    )

    # Dorsal knuckle wrinkles: arched waves across the finger inside a patch around each joint.
    knuckle_d = attribute(tree, "knuckle_d")
    lateral = attribute(tree, "finger_lat")
    arch = math_node(
        tree, "MULTIPLY", math_node(tree, "MULTIPLY", lateral, lateral), value_node(tree, "wrinkle_arch_per_mm", 0.015)
    )
    # The wrinkles' phase wanders (fine noise), so they read as skin folds rather than a regular grating.
    jitter = math_node(tree, "MULTIPLY", math_node(tree, "SUBTRACT", noise(0.6, 2.0), 0.5), 1.2)
    kd = math_node(tree, "ADD", math_node(tree, "ADD", knuckle_d, math_node(tree, "MULTIPLY", wobble, 0.4)), jitter)
    kd = math_node(tree, "SUBTRACT", kd, arch)
    phase = math_node(
        tree, "DIVIDE", math_node(tree, "MULTIPLY", kd, 2.0 * math.pi), value_node(tree, "wrinkle_period_mm", 1.2)
    )
    wave = math_node(
        tree,
        "POWER",
        math_node(tree, "ADD", math_node(tree, "MULTIPLY", math_node(tree, "SINE", phase), 0.5), 0.5),
        4.0,
    )
    scale = attribute(tree, "knuckle_scale")
    dorsal = attribute(tree, "finger_dorsal")
    envelope = math_node(tree, "MULTIPLY", gaussian(tree, knuckle_d, math_node(tree, "MULTIPLY", scale, 2.3)), dorsal)
    wrinkle = math_node(tree, "MULTIPLY", math_node(tree, "MULTIPLY", envelope, wave), breakup)
    knuckle_patch = math_node(
        tree, "MULTIPLY", gaussian(tree, knuckle_d, math_node(tree, "MULTIPLY", scale, 5.0)), dorsal
    )

    # Palms are blotchy (red and pale patches a few mm across); finger pads and tips are redder.
    palm_blotch = math_node(tree, "MULTIPLY", smoothstep(tree, 0.45, 0.7, noise(0.15, 4.0)), palmar_weight)
    pores_node = tree.nodes.new("ShaderNodeTexVoronoi")
    pores_node.inputs["Scale"].default_value = 2.2  # per mm: pores ~0.45 mm apart
    tree.links.new(coords, pores_node.inputs["Vector"])
    # Skin microrelief: the shallow furrows that divide the skin into polygons 1-2 mm across (the pattern seen on
    # the back of the hand and the wrist in any close photograph; the palm's own fine creases are in its maps).
    # At 256 px a hand is ~0.5-1 mm per pixel: the network is what survives of the skin's texture, pores do not.
    lines_node = tree.nodes.new("ShaderNodeTexVoronoi")
    lines_node.feature = "DISTANCE_TO_EDGE"
    lines_node.inputs["Scale"].default_value = 0.7  # per mm: cells ~1.4 mm
    lines_node.inputs["Randomness"].default_value = 0.9
    tree.links.new(coords, lines_node.inputs["Vector"])
    skin_lines = math_node(tree, "SUBTRACT", 1.0, smoothstep(tree, 0.0, 0.12, lines_node.outputs["Distance"]))
    strength = math_node(tree, "MULTIPLY", breakup, value_node(tree, "skin_lines", 0.5))
    # Glabrous (palmar) skin has ridges instead, far below a pixel: the furrows fade there.
    strength = math_node(
        tree, "MULTIPLY", strength, math_node(tree, "SUBTRACT", 1.0, math_node(tree, "MULTIPLY", palmar_weight, 0.7))
    )
    skin_lines = math_node(tree, "MULTIPLY", skin_lines, strength)

    nail_v = attribute(tree, "nail_v")
    nail_weight = attribute(tree, "nail_weight")
    lunula_end = math_node(tree, "ADD", value_node(tree, "nail_lunula", 0.1), 0.03)
    lunula_fade = smoothstep(tree, 0.0, 1.0, math_node(tree, "DIVIDE", nail_v, lunula_end))
    lunula = math_node(tree, "MULTIPLY", nail_weight, math_node(tree, "SUBTRACT", 1.0, lunula_fade))
    free_edge = math_node(
        tree, "MULTIPLY", math_node(tree, "MULTIPLY", nail_weight, smoothstep(tree, 0.9, 0.98, nail_v)),
        value_node(tree, "nail_free_edge", 1.0),
    )  # fmt: skip
    # Dorsal veins: thin ridges of a noise stretched along the hand (veins run from the knuckles to the wrist).
    stretch = tree.nodes.new("ShaderNodeVectorMath")
    stretch.operation = "MULTIPLY"
    tree.links.new(coords, stretch.inputs[0])
    stretch.inputs[1].default_value = (1.0, 0.3, 1.0)
    vein_noise = tree.nodes.new("ShaderNodeTexNoise")
    vein_noise.inputs["Scale"].default_value = 0.04  # per mm
    vein_noise.inputs["Detail"].default_value = 1.0
    tree.links.new(stretch.outputs["Vector"], vein_noise.inputs["Vector"])
    ridge = math_node(tree, "ABSOLUTE", math_node(tree, "SUBTRACT", vein_noise.outputs["Fac"], 0.5))
    vein_line = math_node(tree, "SUBTRACT", 1.0, smoothstep(tree, 0.0, 0.05, ridge))
    dorsal_veins = math_node(
        tree, "MULTIPLY", math_node(tree, "MULTIPLY", vein_line, attribute(tree, "dorsum")),
        value_node(tree, "dorsal_veins", 0.5),
    )  # fmt: skip

    # The nail fold: a thin darker groove where skin meets the plate (nail weight ~0.5).
    nail_fold = gaussian(tree, math_node(tree, "SUBTRACT", nail_weight, 0.45), 0.12)
    return SkinDetail(
        coords=coords,
        digit_crease=digit_crease,
        wrinkle=wrinkle,
        knuckle_patch=knuckle_patch,
        fingertip=attribute(tree, "fingertip"),
        palm_blotch=palm_blotch,
        pores=pores_node.outputs["Distance"],
        skin_lines=skin_lines,
        nail_lunula=lunula,
        nail_free_edge=free_edge,
        nail_fold=nail_fold,
        dorsal_veins=dorsal_veins,
    )


# Palm pads that flush redder (palm u, v; centre and spread): thenar, hypothenar, the pads under the finger bases.
_PALM_PADS = (((0.22, 0.3), (0.15, 0.2)), ((0.85, 0.4), (0.1, 0.25)), ((0.5, 0.92), (0.6, 0.06)))


def palm_pads(tree: bpy.types.NodeTree, uv: bpy.types.NodeSocket) -> bpy.types.NodeSocket:
    """0..1: how much of a palm pad (thenar, hypothenar, distal pads) a palm point lies on."""
    xyz = tree.nodes.new("ShaderNodeSeparateXYZ")
    tree.links.new(uv, xyz.inputs["Vector"])
    pads: Any = 0.0
    for (cu, cv), (su, sv) in _PALM_PADS:
        du = math_node(tree, "DIVIDE", math_node(tree, "SUBTRACT", xyz.outputs["X"], cu), su)
        dv = math_node(tree, "DIVIDE", math_node(tree, "SUBTRACT", xyz.outputs["Y"], cv), sv)
        r2 = math_node(tree, "ADD", math_node(tree, "MULTIPLY", du, du), math_node(tree, "MULTIPLY", dv, dv))
        pads = math_node(tree, "MAXIMUM", pads, math_node(tree, "EXPONENT", math_node(tree, "MULTIPLY", r2, -0.5)))
    return pads


def detail_height(tree: bpy.types.NodeTree, detail: SkinDetail, nir_mode: bpy.types.NodeSocket) -> bpy.types.NodeSocket:
    """Relief in metres: pores, finger creases and knuckle wrinkles (weaker in NIR), the raised nail plate."""
    surface_keep = math_node(tree, "SUBTRACT", 1.0, math_node(tree, "MULTIPLY", nir_mode, 0.7))
    pores = math_node(tree, "MULTIPLY", detail.pores, value_node(tree, "pore_depth_mm", 0.035))
    creases = math_node(tree, "MULTIPLY", detail.digit_crease, value_node(tree, "digit_crease_depth_mm", 0.15))
    wrinkles = math_node(tree, "MULTIPLY", detail.wrinkle, value_node(tree, "wrinkle_depth_mm", 0.08))
    grooves = math_node(
        tree, "ADD", math_node(tree, "ADD", creases, wrinkles), math_node(tree, "MULTIPLY", detail.nail_fold, 0.05)
    )
    grooves = math_node(tree, "ADD", grooves, math_node(tree, "MULTIPLY", detail.skin_lines, 0.04))  # furrows 0.04 mm
    mm = math_node(tree, "MULTIPLY", math_node(tree, "SUBTRACT", pores, grooves), surface_keep)
    raised = math_node(tree, "MULTIPLY", detail.dorsal_veins, 0.25)  # veins stand ~0.25 mm proud
    mm = math_node(tree, "ADD", mm, math_node(tree, "MULTIPLY", raised, surface_keep))
    nail = math_node(tree, "MULTIPLY", attribute(tree, "nail_weight"), 0.12)  # the plate stands ~0.1 mm proud
    return math_node(tree, "MULTIPLY", math_node(tree, "ADD", mm, nail), 0.001)


def apply_detail(nodes: Any, identity: dict[str, Any]) -> None:
    """Sets the identity's detail values (defaults for specs made before the ``detail`` record existed)."""
    detail = identity.get("detail") or {}
    for name, default in DETAIL_DEFAULTS.items():
        if name in nodes:
            nodes[name].outputs[0].default_value = float(detail.get(name, default))
    offset = detail.get("texture_offset_mm", [0.0, 0.0, 0.0])
    for axis, value in zip(("X", "Y", "Z"), offset, strict=True):
        nodes["texture_offset"].inputs[axis].default_value = float(value)
    nails = identity["nails"]
    nodes["nail_lunula"].outputs[0].default_value = float(nails.get("lunula", 0.1))
    nodes["nail_free_edge"].outputs[0].default_value = 0.0 if nails.get("polish") else 1.0
