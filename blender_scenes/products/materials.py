"""Product materials: printed artwork over a container, caps, clear plastic and blister contents.

Per-object values (colours, roughness, the defect region) are read from the object's custom properties with
Attribute nodes, so one node layout serves every SKU. Every material writes the defect region to the
``defect`` shader AOV, which the worker reads back as an exact pixel mask.
"""

from __future__ import annotations

import math

import bpy

DEFECT_AOV = "defect"


class _Builder:
    def __init__(self, tree: bpy.types.NodeTree) -> None:
        self.tree = tree

    def node(self, kind: str, **inputs: object) -> bpy.types.Node:
        node = self.tree.nodes.new(kind)
        for key, value in inputs.items():
            self.connect(value, node.inputs[key])
        return node

    def connect(self, value: object, socket: bpy.types.NodeSocket) -> None:
        if isinstance(value, bpy.types.NodeSocket):
            self.tree.links.new(value, socket)
        else:
            socket.default_value = value

    def attr(self, name: str, output: str = "Factor") -> bpy.types.NodeSocket:
        node = self.tree.nodes.new("ShaderNodeAttribute")
        node.attribute_type = "OBJECT"
        node.attribute_name = name
        return node.outputs[output]

    def math(self, op: str, a: object, b: object = 0.0) -> bpy.types.NodeSocket:
        node = self.tree.nodes.new("ShaderNodeMath")
        node.operation = op
        self.connect(a, node.inputs[0])
        self.connect(b, node.inputs[1])
        return node.outputs[0]

    def vmath(self, op: str, a: object, b: object = None, scale: object = None) -> bpy.types.NodeSocket:
        node = self.tree.nodes.new("ShaderNodeVectorMath")
        node.operation = op
        self.connect(a, node.inputs[0])
        if b is not None:
            self.connect(b, node.inputs[1])
        if scale is not None:
            self.connect(scale, node.inputs["Scale"])
        return node.outputs["Value" if op in ("DOT_PRODUCT", "LENGTH", "DISTANCE") else "Vector"]

    def mix_colour(self, factor: object, a: object, b: object) -> bpy.types.NodeSocket:
        node = self.tree.nodes.new("ShaderNodeMix")
        node.data_type = "RGBA"
        self.connect(factor, node.inputs["Factor"])
        rgba = [s for s in node.inputs if s.type == "RGBA"]
        self.connect(a, rgba[0])
        self.connect(b, rgba[1])
        return next(s for s in node.outputs if s.type == "RGBA")


def _defect_weight(b: _Builder) -> bpy.types.NodeSocket:
    """1 inside the defect region (distance to the segment a-b below the noisy radius), else 0."""
    p = b.tree.nodes.new("ShaderNodeTexCoord").outputs["Object"]
    a, end = b.attr("d_a", "Vector"), b.attr("d_b", "Vector")
    ab = b.vmath("SUBTRACT", end, a)
    t = b.math(
        "DIVIDE",
        b.vmath("DOT_PRODUCT", b.vmath("SUBTRACT", p, a), ab),
        b.math("MAXIMUM", b.vmath("DOT_PRODUCT", ab, ab), 1e-12),
    )
    t = b.math("MINIMUM", b.math("MAXIMUM", t, 0.0), 1.0)
    closest = b.vmath("ADD", a, b.vmath("SCALE", ab, scale=t))
    dist = b.vmath("DISTANCE", p, closest)
    noise = b.tree.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Detail"].default_value = 4.0
    b.connect(p, noise.inputs["Vector"])
    b.connect(b.attr("d_noise_scale"), noise.inputs["Scale"])
    wobble = b.math("MULTIPLY", b.math("SUBTRACT", noise.outputs["Fac"], 0.5), b.attr("d_noise_m"))
    inside = b.math("LESS_THAN", b.math("ADD", dist, wobble), b.attr("d_radius"))
    return b.math("MULTIPLY", inside, b.attr("d_on"))


def _principled(b: _Builder, base: object, roughness: object, metallic: object = 0.0, transmission: object = 0.0,
                coat: object = 0.0) -> bpy.types.Node:  # fmt: skip
    bsdf = b.tree.nodes.new("ShaderNodeBsdfPrincipled")
    b.connect(base, bsdf.inputs["Base Color"])
    b.connect(roughness, bsdf.inputs["Roughness"])
    b.connect(metallic, bsdf.inputs["Metallic"])
    b.connect(transmission, bsdf.inputs["Transmission Weight"])
    b.connect(coat, bsdf.inputs["Coat Weight"])
    return bsdf


def _finish(b: _Builder, shader: bpy.types.NodeSocket, aov_value: bpy.types.NodeSocket) -> None:
    output = b.tree.nodes.new("ShaderNodeOutputMaterial")
    b.connect(shader, output.inputs["Surface"])
    aov = b.tree.nodes.new("ShaderNodeOutputAOV")
    aov.aov_name = DEFECT_AOV
    b.connect(aov_value, aov.inputs["Value"])


def _with_defect(b: _Builder, colour: object, weight: bpy.types.NodeSocket) -> tuple:
    """The colour inside the defect region, and where the defect sets its own roughness (d_rough >= 0)."""
    colour = b.mix_colour(b.math("MULTIPLY", weight, b.attr("d_mix")), colour, b.attr("d_color", "Color"))
    use_rough = b.math("MULTIPLY", weight, b.math("GREATER_THAN", b.attr("d_rough"), -0.5))
    return colour, use_rough


def _mix_float(b: _Builder, factor: object, x: object, y: object) -> bpy.types.NodeSocket:
    return b.math("ADD", x, b.math("MULTIPLY", factor, b.math("SUBTRACT", y, x)))


def build_printed(name: str) -> bpy.types.Material:
    """Artwork (image texture on the UV atlas) over the container; a label band, a misaligned print, a torn
    label and the other surface defects are all driven by object properties."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    tree.nodes.clear()
    b = _Builder(tree)
    uv = tree.nodes.new("ShaderNodeUVMap")
    split = b.node("ShaderNodeSeparateXYZ", Vector=uv.outputs["UV"])
    u, v = split.outputs["X"], split.outputs["Y"]
    # Misaligned label: v' = v - dv - tilt * cos(2 pi u + phase) (a label wrapped on a tilt round a cylinder).
    wave = b.math("COSINE", b.math("ADD", b.math("MULTIPLY", u, 2 * math.pi), b.attr("label_phase")))
    shifted_v = b.math(
        "SUBTRACT", b.math("SUBTRACT", v, b.attr("label_dv")), b.math("MULTIPLY", wave, b.attr("label_tilt"))
    )
    combine = b.node("ShaderNodeCombineXYZ", X=u, Y=shifted_v)
    image = tree.nodes.new("ShaderNodeTexImage")
    image.name = "artwork"
    image.interpolation = "Cubic"
    b.connect(combine.outputs["Vector"], image.inputs["Vector"])

    def in_band(vv: bpy.types.NodeSocket) -> bpy.types.NodeSocket:
        return b.math("MULTIPLY", b.math("GREATER_THAN", vv, 0.25), b.math("LESS_THAN", vv, 1.0))

    band = b.attr("band")
    outside = b.math("MULTIPLY", band, b.math("SUBTRACT", 1.0, in_band(shifted_v)))
    weight = _defect_weight(b)
    alpha = b.math("MULTIPLY", image.outputs["Alpha"], b.math("SUBTRACT", 1.0, outside))
    alpha = b.math("MULTIPLY", alpha, b.math("SUBTRACT", 1.0, b.math("MULTIPLY", weight, b.attr("d_cut"))))
    misprint = b.math("MULTIPLY", band, b.math("ABSOLUTE", b.math("SUBTRACT", in_band(shifted_v), in_band(v))))

    colour, use_rough = _with_defect(b, image.outputs["Color"], weight)
    label_rough = _mix_float(b, use_rough, b.attr("label_rough"), b.attr("d_rough"))
    label = _principled(b, colour, label_rough, b.attr("label_metal"), 0.0, b.attr("label_coat"))
    box_colour = b.mix_colour(
        b.math("MULTIPLY", weight, b.attr("d_mix")), b.attr("body_color", "Color"), b.attr("d_color", "Color")
    )
    body = _principled(b, box_colour, _mix_float(b, use_rough, b.attr("body_rough"), b.attr("d_rough")),
                       b.attr("body_metal"), b.attr("body_transmission"), b.attr("body_coat"))  # fmt: skip
    body.inputs["IOR"].default_value = 1.5
    mix = tree.nodes.new("ShaderNodeMixShader")
    b.connect(alpha, mix.inputs["Fac"])
    b.connect(body.outputs["BSDF"], mix.inputs[1])
    b.connect(label.outputs["BSDF"], mix.inputs[2])
    _finish(b, mix.outputs["Shader"], b.math("MAXIMUM", weight, misprint))
    return material


def build_solid(name: str, prefix: str) -> bpy.types.Material:
    """A solid surface (cap, clear plastic, content) whose colour and finish come from ``{prefix}_*`` props."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    tree.nodes.clear()
    b = _Builder(tree)
    weight = _defect_weight(b)
    colour = b.mix_colour(
        b.math("MULTIPLY", weight, b.attr("d_mix")), b.attr(f"{prefix}_color", "Color"), b.attr("d_color", "Color")
    )
    bsdf = _principled(
        b, colour, b.attr(f"{prefix}_rough"), b.attr(f"{prefix}_metal"), b.attr(f"{prefix}_transmission")
    )
    bsdf.inputs["IOR"].default_value = 1.5
    _finish(b, bsdf.outputs["BSDF"], weight)
    return material
