"""Node-based materials built once per worker; a spec only changes their input values."""

from __future__ import annotations

from typing import Any

import bpy

SURFACE_FAMILIES = ("wood", "tiles", "concrete", "fabric", "marble")


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


def build_surface_material(family: str) -> bpy.types.Material:
    """A procedural ground material; nodes are named so ``apply_surface`` can set their inputs."""
    material, tree = _new_material(f"surface_{family}")
    bsdf = _principled(tree)
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.name = "mapping"
    tree.links.new(coords.outputs["Object"], mapping.inputs["Vector"])
    ramp = _two_colour_ramp(tree, "ramp")
    bump = tree.nodes.new("ShaderNodeBump")
    bump.name = "bump"

    if family == "wood":
        # Grain: long parallel bands (a plank's), irregular but not wavy.
        texture = tree.nodes.new("ShaderNodeTexWave")
        texture.wave_type = "BANDS"
        texture.bands_direction = "X"
        texture.inputs["Scale"].default_value = 1.2
        texture.inputs["Distortion"].default_value = 3.0
        texture.inputs["Detail"].default_value = 8.0
        texture.inputs["Detail Scale"].default_value = 1.5
        fac = texture.outputs["Fac"]
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
        # Veins: turbulent bands, of which only the crests (the top of the ramp) take the vein colour.
        texture = tree.nodes.new("ShaderNodeTexWave")
        texture.wave_type = "BANDS"
        texture.bands_direction = "DIAGONAL"
        texture.inputs["Scale"].default_value = 0.5
        texture.inputs["Distortion"].default_value = 16.0
        texture.inputs["Detail"].default_value = 12.0
        texture.inputs["Detail Roughness"].default_value = 0.65
        fac = texture.outputs["Fac"]
        ramp.color_ramp.elements[0].position = 0.88
    else:
        raise ValueError(f"surface.material: unknown surface {family!r}")
    texture.name = "texture"
    tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    tree.links.new(fac, ramp.inputs["Fac"])
    tree.links.new(fac, bump.inputs["Height"])
    tree.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return material


def apply_surface(material: bpy.types.Material, surface: dict[str, Any]) -> None:
    nodes = material.node_tree.nodes
    ramp = nodes["ramp"].color_ramp
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
