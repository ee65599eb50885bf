"""Skin marks in the skin shader: tattoos, scars, pen ink and dirt (``synthgen.scenes.hands.accessories``).

``MAX_MARKS`` slots, each an ellipse on the skin (rest coordinates in mm, so a mark sticks to the skin in every
pose) with a soft edge, a colour, an opacity and a pattern: 0 a solid patch (scar, ink stroke), 1 a tattoo's line
work (thresholded rings, broken by noise), 2 the blotchy texture of dirt. Unused slots have opacity 0.
``add_skin_marks`` is called once by ``skin_material.build_skin_material``; the builder sets the slots per sample
with :func:`apply_skin_marks`. Visible light only: the NIR base colour does not see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bpy
import numpy as np

from blender_scenes.common.node_helpers import attribute_vector, math_node, mix_colour, rgb_node, smoothstep, value_node
from synthgen.scenes.hands.accessories import MAX_MARKS


def _vector(tree: bpy.types.NodeTree, name: str) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeCombineXYZ")
    node.name = name
    return node.outputs["Vector"]


def _vmath(tree: bpy.types.NodeTree, operation: str, a: Any, b: Any = None) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeVectorMath")
    node.operation = operation
    for index, value in enumerate((a, b)):
        if value is None:
            continue
        if isinstance(value, bpy.types.NodeSocket):
            tree.links.new(value, node.inputs[index])
        else:
            node.inputs[index].default_value = value
    return node.outputs["Value"] if operation in ("DOT_PRODUCT", "LENGTH", "DISTANCE") else node.outputs["Vector"]


def _is(tree: bpy.types.NodeTree, x: bpy.types.NodeSocket, value: float) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeMath")
    node.operation = "COMPARE"
    tree.links.new(x, node.inputs[0])
    node.inputs[1].default_value = value
    node.inputs[2].default_value = 0.5
    return node.outputs[0]


def _slot(tree: bpy.types.NodeTree, k: int, rest: bpy.types.NodeSocket, colour: bpy.types.NodeSocket) -> Any:
    centre = _vector(tree, f"mark{k}_centre")
    direction = _vector(tree, f"mark{k}_dir")
    half_length = value_node(tree, f"mark{k}_half_length", 1.0)
    half_width = value_node(tree, f"mark{k}_half_width", 1.0)
    opacity = value_node(tree, f"mark{k}_opacity", 0.0)
    pattern = value_node(tree, f"mark{k}_pattern", 0.0)
    seed = value_node(tree, f"mark{k}_seed", 0.0)
    p = _vmath(tree, "SUBTRACT", rest, centre)
    along = _vmath(tree, "DOT_PRODUCT", p, direction)
    projected = tree.nodes.new("ShaderNodeVectorMath")
    projected.operation = "SCALE"
    tree.links.new(direction, projected.inputs[0])
    tree.links.new(along, projected.inputs["Scale"])
    across = _vmath(tree, "LENGTH", _vmath(tree, "SUBTRACT", p, projected.outputs["Vector"]))
    a = math_node(tree, "DIVIDE", along, half_length)
    b = math_node(tree, "DIVIDE", across, half_width)
    e = math_node(
        tree, "SQRT", math_node(tree, "ADD", math_node(tree, "MULTIPLY", a, a), math_node(tree, "MULTIPLY", b, b))
    )
    inside = math_node(tree, "SUBTRACT", 1.0, smoothstep(tree, 0.7, 1.0, e))
    # Tattoo line work: rings round the centre, distorted, thresholded to thin lines.
    wave = tree.nodes.new("ShaderNodeTexWave")
    wave.wave_type = "RINGS"
    wave.inputs["Scale"].default_value = 0.12
    wave.inputs["Distortion"].default_value = 6.0
    wave.inputs["Detail"].default_value = 2.0
    tree.links.new(p, wave.inputs["Vector"])
    lines = smoothstep(tree, 0.45, 0.55, wave.outputs["Fac"])  # bold line work, about half the area
    noise = tree.nodes.new("ShaderNodeTexNoise")
    noise.noise_dimensions = "4D"
    noise.inputs["Scale"].default_value = 0.25  # per mm
    noise.inputs["Detail"].default_value = 6.0
    tree.links.new(p, noise.inputs["Vector"])
    tree.links.new(seed, noise.inputs["W"])
    blotch = smoothstep(tree, 0.38, 0.6, noise.outputs["Fac"])
    pat = math_node(tree, "ADD", _is(tree, pattern, 0.0), math_node(tree, "MULTIPLY", _is(tree, pattern, 1.0), lines))
    pat = math_node(tree, "ADD", pat, math_node(tree, "MULTIPLY", _is(tree, pattern, 2.0), blotch))
    amount = math_node(tree, "MULTIPLY", math_node(tree, "MULTIPLY", inside, pat), opacity)
    return mix_colour(tree, amount, colour, rgb_node(tree, f"mark{k}_colour", (0.0, 0.0, 0.0)))


def add_skin_marks(tree: bpy.types.NodeTree, colour: bpy.types.NodeSocket) -> bpy.types.NodeSocket:
    """``colour`` (the skin's visible-light albedo) with the mark slots painted over it."""
    rest = attribute_vector(tree, "rest_co")
    for k in range(MAX_MARKS):
        colour = _slot(tree, k, rest, colour)
    return colour


def apply_skin_marks(material: bpy.types.Material, marks: Sequence[dict[str, Any]], anchors: np.ndarray) -> None:
    """Sets the slots from ``marks`` (spec records) centred at ``anchors`` ((n, 3) rest frame, metres)."""
    nodes = material.node_tree.nodes
    if "mark0_opacity" not in nodes:  # a material built without the hook
        return
    for k in range(MAX_MARKS):
        if k >= len(marks):
            nodes[f"mark{k}_opacity"].outputs[0].default_value = 0.0
            continue
        mark, centre = marks[k], np.asarray(anchors[k]) * 1000.0
        angle = np.radians(float(mark["angle_deg"]))
        direction = np.array([np.sin(angle), np.cos(angle), 0.0])  # in the skin's (x, y) plane, y along the hand
        for node_name, vector in ((f"mark{k}_centre", centre), (f"mark{k}_dir", direction)):
            node = nodes[node_name]
            for axis, value in zip(("X", "Y", "Z"), vector, strict=True):
                node.inputs[axis].default_value = float(value)
        nodes[f"mark{k}_half_length"].outputs[0].default_value = max(0.5, 0.5 * float(mark["length_mm"]))
        nodes[f"mark{k}_half_width"].outputs[0].default_value = max(0.4, 0.5 * float(mark["width_mm"]))
        nodes[f"mark{k}_opacity"].outputs[0].default_value = float(mark["opacity"])
        nodes[f"mark{k}_pattern"].outputs[0].default_value = float(mark["pattern"])
        nodes[f"mark{k}_seed"].outputs[0].default_value = float(mark["pattern_seed"])
        nodes[f"mark{k}_colour"].outputs[0].default_value = (*mark["colour_linear"], 1.0)
