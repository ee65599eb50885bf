"""Small builders for shader node graphs: each returns the output socket, inputs may be sockets or constants."""

from __future__ import annotations

from typing import Any

import bpy


def principled_material(
    name: str, subsurface_method: str | None = None
) -> tuple[bpy.types.Material, bpy.types.NodeTree, bpy.types.Node]:
    """A new material holding only a Principled BSDF (named "bsdf") wired to the output: (material, tree, bsdf)."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    tree.nodes.clear()
    bsdf = tree.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.name = "bsdf"
    if subsurface_method:
        bsdf.subsurface_method = subsurface_method
    output = tree.nodes.new("ShaderNodeOutputMaterial")
    tree.links.new(bsdf.outputs["BSDF"], output.inputs["Surface"])
    return material, tree, bsdf


def math_node(
    tree: bpy.types.NodeTree, operation: str, a: Any, b: Any = 0.0, name: str | None = None
) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeMath")
    node.operation = operation
    if name:
        node.name = name
    for index, value in enumerate((a, b)):
        if isinstance(value, bpy.types.NodeSocket):
            tree.links.new(value, node.inputs[index])
        else:
            node.inputs[index].default_value = value
    return node.outputs[0]


def mix_colour(tree: bpy.types.NodeTree, factor: Any, a: Any, b: Any) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeMix")
    node.data_type = "RGBA"
    colour_inputs = [s for s in node.inputs if s.type == "RGBA"]
    for socket, value in ((node.inputs["Factor"], factor), (colour_inputs[0], a), (colour_inputs[1], b)):
        if isinstance(value, bpy.types.NodeSocket):
            tree.links.new(value, socket)
        else:
            socket.default_value = value
    return next(s for s in node.outputs if s.type == "RGBA")


def value_node(tree: bpy.types.NodeTree, name: str, default: float) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeValue")
    node.name = name
    node.outputs[0].default_value = default
    return node.outputs[0]


def rgb_node(tree: bpy.types.NodeTree, name: str, default: tuple[float, float, float]) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeRGB")
    node.name = name
    node.outputs[0].default_value = (*default, 1.0)
    return node.outputs[0]


def attribute(tree: bpy.types.NodeTree, name: str) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeAttribute")
    node.attribute_type = "GEOMETRY"
    node.attribute_name = name
    return node.outputs["Fac"]


def attribute_vector(tree: bpy.types.NodeTree, name: str) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeAttribute")
    node.attribute_type = "GEOMETRY"
    node.attribute_name = name
    return node.outputs["Vector"]


def gaussian(tree: bpy.types.NodeTree, x: Any, sigma: Any) -> bpy.types.NodeSocket:
    """exp(-x^2 / (2 sigma^2))."""
    z = math_node(tree, "DIVIDE", x, sigma)
    return math_node(tree, "EXPONENT", math_node(tree, "MULTIPLY", math_node(tree, "MULTIPLY", z, z), -0.5))


def smoothstep(tree: bpy.types.NodeTree, edge0: float, edge1: float, x: Any) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeMapRange")
    node.interpolation_type = "SMOOTHSTEP"
    node.inputs["From Min"].default_value = edge0
    node.inputs["From Max"].default_value = edge1
    if isinstance(x, bpy.types.NodeSocket):
        tree.links.new(x, node.inputs["Value"])
    else:
        node.inputs["Value"].default_value = x
    return node.outputs["Result"]
