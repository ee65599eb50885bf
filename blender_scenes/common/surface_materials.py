"""Node-based materials built once per worker; a spec only changes their input values."""

from __future__ import annotations

from typing import Any

import bpy

SURFACE_FAMILIES = ("wood", "tiles", "concrete", "fabric", "marble")
# Materials whose texture puts the pattern (grain, veins, grout) at fac 1: color_a there is the surface's own
# colour and color_b the pattern's (synthgen.scenes.common.surfaces.PALETTES).
PATTERN_AT_ONE = ("wood", "marble", "tiles")


def _new_material(name: str) -> tuple[bpy.types.Material, bpy.types.NodeTree]:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    tree.nodes.clear()
    return material, tree


def _principled(tree: bpy.types.NodeTree) -> bpy.types.Node:
    bsdf = tree.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.name = "bsdf"
    output = tree.nodes.new("ShaderNodeOutputMaterial")
    tree.links.new(bsdf.outputs["BSDF"], output.inputs["Surface"])
    return bsdf


def _two_colour_ramp(tree: bpy.types.NodeTree, name: str) -> bpy.types.Node:
    ramp = tree.nodes.new("ShaderNodeValToRGB")
    ramp.name = name
    return ramp


def _math(tree: bpy.types.NodeTree, op: str, a: Any, b: Any = 0.0, c: Any = None) -> bpy.types.NodeSocket:
    node = tree.nodes.new("ShaderNodeMath")
    node.operation = op
    for socket, value in zip(node.inputs, (a, b, c), strict=False):
        if isinstance(value, bpy.types.NodeSocket):
            tree.links.new(value, socket)
        elif value is not None:
            socket.default_value = value
    return node.outputs[0]


def _stretched(tree: bpy.types.NodeTree, vector: bpy.types.NodeSocket, scale: tuple, offset: Any = None) -> Any:
    """``vector`` scaled per axis (and shifted by ``offset``, a socket): long fibres along x."""
    node = tree.nodes.new("ShaderNodeVectorMath")
    node.operation = "MULTIPLY_ADD"
    tree.links.new(vector, node.inputs[0])
    node.inputs[1].default_value = scale
    if offset is not None:
        tree.links.new(offset, node.inputs[2])
    return node.outputs["Vector"]


def _wood(tree: bpy.types.NodeTree, vector: bpy.types.NodeSocket) -> tuple[bpy.types.Node, bpy.types.NodeSocket]:
    """Planks (boards about 0.8 x 7 units of the mapping, thin dark seams, staggered ends), each with its own
    grain: growth rings cut lengthwise (flowing dark lines along the plank, tighter in the latewood) over fine
    fibres. Fac 0 is the wood's colour, 1 its grain's and the seams'."""
    planks = tree.nodes.new("ShaderNodeTexBrick")
    planks.name = "planks"
    planks.offset, planks.offset_frequency = 0.37, 1
    planks.squash, planks.squash_frequency = 1.0, 1
    planks.inputs["Scale"].default_value = 1.0
    planks.inputs["Brick Width"].default_value = 7.0
    planks.inputs["Row Height"].default_value = 0.8
    planks.inputs["Mortar Size"].default_value = 0.006
    planks.inputs["Mortar Smooth"].default_value = 0.3
    planks.inputs["Color1"].default_value = (0.0, 0.0, 0.0, 1.0)
    planks.inputs["Color2"].default_value = (1.0, 1.0, 1.0, 1.0)
    planks.inputs["Bias"].default_value = 0.0
    tree.links.new(vector, planks.inputs["Vector"])
    # Each plank shifts the grain pattern by its own random amount (Brick's per-brick colour, 0..1).
    shift = tree.nodes.new("ShaderNodeVectorMath")
    shift.operation = "SCALE"
    tree.links.new(planks.outputs["Color"], shift.inputs[0])
    shift.inputs["Scale"].default_value = 37.0
    rings = tree.nodes.new("ShaderNodeTexWave")
    rings.wave_type, rings.bands_direction, rings.wave_profile = "BANDS", "Y", "SAW"
    rings.inputs["Scale"].default_value = 1.6
    rings.inputs["Distortion"].default_value = 9.0
    rings.inputs["Detail"].default_value = 4.0
    rings.inputs["Detail Scale"].default_value = 0.35
    rings.inputs["Detail Roughness"].default_value = 0.55
    tree.links.new(_stretched(tree, vector, (0.3, 1.0, 1.0), shift.outputs["Vector"]), rings.inputs["Vector"])
    fibres = tree.nodes.new("ShaderNodeTexNoise")
    fibres.inputs["Scale"].default_value = 3.0
    fibres.inputs["Detail"].default_value = 6.0
    tree.links.new(_stretched(tree, vector, (0.6, 30.0, 1.0), shift.outputs["Vector"]), fibres.inputs["Vector"])
    latewood = _math(tree, "MULTIPLY", _math(tree, "POWER", rings.outputs["Fac"], 4.0), 0.7)  # each ring's end
    grain = _math(tree, "MULTIPLY_ADD", _math(tree, "SUBTRACT", fibres.outputs["Fac"], 0.4), 0.35, latewood)
    tone = _math(tree, "MULTIPLY", planks.outputs["Color"], 0.25)  # lighter and darker planks
    fac = _math(tree, "MAXIMUM", _math(tree, "ADD", grain, tone), planks.outputs["Fac"])
    return rings, _math(tree, "MINIMUM", _math(tree, "MAXIMUM", fac, 0.0), 1.0)


def _marble(tree: bpy.types.NodeTree, vector: bpy.types.NodeSocket) -> tuple[bpy.types.Node, bpy.types.NodeSocket]:
    """Veins: thin lines where a strongly distorted sine crosses zero (so each vein is a crisp line with a soft
    halo), a second, fainter set at another angle, over a cloudy ground. Fac 0 is the stone, 1 its veins."""
    veins = tree.nodes.new("ShaderNodeTexWave")
    veins.wave_type, veins.bands_direction, veins.wave_profile = "BANDS", "DIAGONAL", "SIN"
    veins.inputs["Scale"].default_value = 0.35
    veins.inputs["Distortion"].default_value = 9.0
    veins.inputs["Detail"].default_value = 10.0
    veins.inputs["Detail Scale"].default_value = 0.8
    veins.inputs["Detail Roughness"].default_value = 0.62
    tree.links.new(vector, veins.inputs["Vector"])
    faint = tree.nodes.new("ShaderNodeTexWave")
    faint.wave_type, faint.bands_direction, faint.wave_profile = "BANDS", "X", "SIN"
    faint.inputs["Scale"].default_value = 0.9
    faint.inputs["Distortion"].default_value = 14.0
    faint.inputs["Detail"].default_value = 8.0
    tree.links.new(vector, faint.inputs["Vector"])
    clouds = tree.nodes.new("ShaderNodeTexNoise")
    clouds.inputs["Scale"].default_value = 1.5
    clouds.inputs["Detail"].default_value = 4.0
    tree.links.new(vector, clouds.inputs["Vector"])

    def line(fac: bpy.types.NodeSocket, width: float) -> bpy.types.NodeSocket:
        # 1 at the zero crossing of the sine (fac 0.5), falling to 0 at |fac - 0.5| = width.
        distance = _math(tree, "ABSOLUTE", _math(tree, "SUBTRACT", fac, 0.5))
        return _math(
            tree,
            "POWER",
            _math(tree, "MAXIMUM", _math(tree, "SUBTRACT", 1.0, _math(tree, "DIVIDE", distance, width)), 0.0),
            2.0,
        )

    strong = line(veins.outputs["Fac"], 0.06)
    weak = _math(tree, "MULTIPLY", line(faint.outputs["Fac"], 0.03), 0.45)
    ground = _math(tree, "MULTIPLY", _math(tree, "SUBTRACT", clouds.outputs["Fac"], 0.4), 0.25)
    fac = _math(tree, "ADD", _math(tree, "MAXIMUM", strong, weak), ground)
    return veins, _math(tree, "MINIMUM", _math(tree, "MAXIMUM", fac, 0.0), 1.0)


def build_surface_material(family: str) -> bpy.types.Material:
    """A procedural ground material; nodes are named so ``apply_surface`` can set their inputs."""
    material, tree = _new_material(f"surface_{family}")
    material["family"] = family  # the name may get a suffix when two builders make one
    bsdf = _principled(tree)
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.name = "mapping"
    tree.links.new(coords.outputs["Object"], mapping.inputs["Vector"])
    ramp = _two_colour_ramp(tree, "ramp")
    bump = tree.nodes.new("ShaderNodeBump")
    bump.name = "bump"

    if family == "wood":
        texture, fac = _wood(tree, mapping.outputs["Vector"])
    elif family == "tiles":
        # Square tiles in a grid with a grout line 5% of a tile wide (1/scale metres a tile): grout is ramp end 1.
        texture = tree.nodes.new("ShaderNodeTexBrick")
        texture.offset = 0.0
        texture.inputs["Scale"].default_value = 1.0
        texture.inputs["Brick Width"].default_value = 1.0
        texture.inputs["Row Height"].default_value = 1.0
        texture.inputs["Mortar Size"].default_value = 0.05
        texture.inputs["Mortar Smooth"].default_value = 0.1
        fac = texture.outputs["Fac"]
    elif family == "concrete":
        texture = tree.nodes.new("ShaderNodeTexNoise")
        texture.inputs["Detail"].default_value = 12.0
        texture.inputs["Roughness"].default_value = 0.65
        fac = texture.outputs["Fac"]
    elif family == "fabric":
        texture = tree.nodes.new("ShaderNodeTexWave")
        texture.wave_type = "BANDS"
        texture.bands_direction = "DIAGONAL"
        texture.inputs["Distortion"].default_value = 1.5
        fac = texture.outputs["Fac"]
    elif family == "marble":
        texture, fac = _marble(tree, mapping.outputs["Vector"])
    else:
        raise ValueError(f"surface.material: unknown surface {family!r}")
    texture.name = "texture"
    if not texture.inputs["Vector"].is_linked:
        tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    tree.links.new(fac, ramp.inputs["Fac"])
    # Wood's relief is its seams between planks; its grain is colour, not ridges.
    tree.links.new(
        nodes_planks.outputs["Fac"] if (nodes_planks := tree.nodes.get("planks")) else fac, bump.inputs["Height"]
    )
    tree.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return material


def apply_surface(material: bpy.types.Material, surface: dict[str, Any]) -> None:
    nodes = material.node_tree.nodes
    ramp = nodes["ramp"].color_ramp
    if material.get("family") in PATTERN_AT_ONE:  # the surface's colour at 0, its pattern's at 1
        ramp.elements[0].color = (*surface["color_a"], 1.0)
        ramp.elements[1].color = (*surface["color_b"], 1.0)
    else:
        ramp.elements[0].color = (*surface["color_b"], 1.0)
        ramp.elements[1].color = (*surface["color_a"], 1.0)
    mapping = nodes["mapping"]
    mapping.inputs["Scale"].default_value = (surface["scale"],) * 3
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, surface["rotation_deg"] * 3.14159265 / 180.0)
    nodes["bump"].inputs["Strength"].default_value = surface["bump"]
    nodes["bsdf"].inputs["Roughness"].default_value = surface["roughness"]


def build_product_material(name: str) -> bpy.types.Material:
    """Base colour with a printed label band (constant colour ramp over the object's height) and a stripe print."""
    material, tree = _new_material(name)
    bsdf = _principled(tree)
    coords = tree.nodes.new("ShaderNodeTexCoord")
    separate = tree.nodes.new("ShaderNodeSeparateXYZ")
    tree.links.new(coords.outputs["Generated"], separate.inputs["Vector"])
    band = _two_colour_ramp(tree, "band")
    band.color_ramp.interpolation = "CONSTANT"
    band.color_ramp.elements.new(0.5)
    tree.links.new(separate.outputs["Z"], band.inputs["Fac"])
    # Thin print stripes inside the label make the object read as packaging rather than a plain primitive.
    stripes = tree.nodes.new("ShaderNodeTexWave")
    stripes.name = "stripes"
    stripes.bands_direction = "Z"
    stripes.inputs["Distortion"].default_value = 0.0
    stripes_ramp = _two_colour_ramp(tree, "stripes_ramp")
    stripes_ramp.color_ramp.interpolation = "CONSTANT"
    stripes_ramp.color_ramp.elements[1].position = 0.8
    tree.links.new(coords.outputs["Generated"], stripes.inputs["Vector"])
    tree.links.new(stripes.outputs["Fac"], stripes_ramp.inputs["Fac"])
    multiply = tree.nodes.new("ShaderNodeMix")
    multiply.name = "print"
    multiply.data_type = "RGBA"
    multiply.blend_type = "MULTIPLY"
    rgba_inputs = [s for s in multiply.inputs if s.type == "RGBA"]
    tree.links.new(band.outputs["Color"], rgba_inputs[0])
    tree.links.new(stripes_ramp.outputs["Color"], rgba_inputs[1])
    rgba_output = next(s for s in multiply.outputs if s.type == "RGBA")
    tree.links.new(rgba_output, bsdf.inputs["Base Color"])
    return material


def apply_product_material(material: bpy.types.Material, spec: dict[str, Any]) -> None:
    nodes = material.node_tree.nodes
    elements = nodes["band"].color_ramp.elements
    low = max(0.02, spec["label_center"] - spec["label_height"] / 2.0)
    high = min(0.98, spec["label_center"] + spec["label_height"] / 2.0)
    elements[0].color = (*spec["base_color"], 1.0)
    elements[1].position, elements[1].color = low, (*spec["label_color"], 1.0)
    elements[2].position, elements[2].color = high, (*spec["base_color"], 1.0)
    nodes["stripes"].inputs["Scale"].default_value = spec["stripe_scale"]
    stripes = nodes["stripes_ramp"].color_ramp.elements
    stripes[0].color = (1.0, 1.0, 1.0, 1.0)
    stripes[1].color = (0.55, 0.55, 0.55, 1.0)
    nodes["print"].inputs["Factor"].default_value = 0.6
    bsdf = nodes["bsdf"]
    bsdf.inputs["Roughness"].default_value = spec["roughness"]
    bsdf.inputs["Metallic"].default_value = spec["metallic"]
    bsdf.inputs["Coat Weight"].default_value = spec["coat"]
