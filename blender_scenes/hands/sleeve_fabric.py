"""The sleeve's fabric: knit rib, denim twill, woven check, cotton jersey, fleece or nylon
(``synthgen.scenes.hands.accessories.sample_sleeve``).

One material whose pattern weights the spec sets: rib (stripes along the arm), twill (fine diagonals), check (two
crossing band sets), a fine noise for every fabric, sheen for fleece. Coordinates are the sleeve object's, in mm
(the sleeve is parented to the hand's armature, so the weave stays on the fabric).
"""

from __future__ import annotations

from typing import Any

import bpy

from blender_scenes.common.node_helpers import math_node, mix_colour, principled_material, rgb_node, value_node


def _wave(tree: bpy.types.NodeTree, coords: bpy.types.NodeSocket, direction: str, scale: float) -> Any:
    wave = tree.nodes.new("ShaderNodeTexWave")
    wave.wave_type = "BANDS"
    wave.bands_direction = direction
    wave.inputs["Scale"].default_value = scale
    wave.inputs["Distortion"].default_value = 0.3
    tree.links.new(coords, wave.inputs["Vector"])
    return wave.outputs["Fac"]


def build_sleeve_fabric() -> bpy.types.Material:
    material, tree, bsdf = principled_material("sleeve_fabric")
    texcoord = tree.nodes.new("ShaderNodeTexCoord")
    mm = tree.nodes.new("ShaderNodeVectorMath")
    mm.operation = "SCALE"
    tree.links.new(texcoord.outputs["Object"], mm.inputs[0])
    mm.inputs["Scale"].default_value = 1000.0
    coords = mm.outputs["Vector"]
    # Blender's X bands repeat every 2 pi / 20 units: scale 0.126 gives 2.5 mm ribs, 0.5 twill lines of ~1 mm.
    rib = _wave(tree, coords, "X", 0.126)
    twill = _wave(tree, coords, "DIAGONAL", 0.5)
    check = math_node(tree, "MULTIPLY", _wave(tree, coords, "X", 0.02), _wave(tree, coords, "Y", 0.02))
    noise = tree.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 0.4
    noise.inputs["Detail"].default_value = 8.0
    tree.links.new(coords, noise.inputs["Vector"])
    fac = math_node(tree, "MULTIPLY", rib, value_node(tree, "rib", 0.0))
    fac = math_node(tree, "ADD", fac, math_node(tree, "MULTIPLY", twill, value_node(tree, "twill", 0.0)))
    fac = math_node(tree, "ADD", fac, math_node(tree, "MULTIPLY", check, value_node(tree, "check", 0.0)))
    fac = math_node(tree, "ADD", fac, math_node(tree, "MULTIPLY", noise.outputs["Fac"], value_node(tree, "fuzz", 0.2)))
    fac = math_node(tree, "MINIMUM", fac, 1.0)
    colour = mix_colour(
        tree, fac, rgb_node(tree, "colour_a", (0.2, 0.2, 0.3)), rgb_node(tree, "colour_b", (0.1, 0.1, 0.15))
    )
    tree.links.new(colour, bsdf.inputs["Base Color"])
    bump = tree.nodes.new("ShaderNodeBump")
    bump.name = "bump"
    bump.inputs["Distance"].default_value = 0.0005
    tree.links.new(fac, bump.inputs["Height"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return material


def apply_sleeve_fabric(material: bpy.types.Material, sleeve: dict[str, Any]) -> None:
    nodes = material.node_tree.nodes
    for name in ("rib", "twill", "check", "fuzz"):
        nodes[name].outputs[0].default_value = float(sleeve["pattern"][name])
    nodes["colour_a"].outputs[0].default_value = (*sleeve["colour_linear"], 1.0)
    nodes["colour_b"].outputs[0].default_value = (*sleeve["colour_b_linear"], 1.0)
    nodes["bump"].inputs["Strength"].default_value = float(sleeve["bump"])
    bsdf = nodes["bsdf"]
    bsdf.inputs["Roughness"].default_value = float(sleeve["roughness"])
    bsdf.inputs["Sheen Weight"].default_value = float(sleeve["sheen"])
    bsdf.inputs["Sheen Roughness"].default_value = 0.5
