"""The printed-photo instrument (also the paper cut-out): a bent paper sheet carrying the printer's output.

The sheet's colour and near-infrared reflectance come from ``synthgen.scenes.hands.attacks.print_process`` as two float
images; a cut-out uses the alpha channel as its outline. Glossy paper gets a clear coat, matte paper a fibre
bump. The mesh is rebuilt per sample from ``synthgen.scenes.hands.attacks.sheet`` (the same mapping places the
keypoints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bpy
import numpy as np

from blender_scenes.common.node_helpers import math_node, mix_colour, principled_material, value_node
from blender_scenes.common.stage import link, set_matrix
from blender_scenes.hands.attacks.instrument import Instrument
from blender_scenes.hands.builder import HAND_INSTANCE_ID
from synthgen.scenes.hands.attacks.print_process import printed_textures
from synthgen.scenes.hands.attacks.sheet import sheet_grid, sheet_points

if TYPE_CHECKING:
    from blender_scenes.hands.attacks.builder import AttackBuilder

PAPER_THICKNESS_M = 0.00025
MAX_PRINT_RASTER_PX = 2048


def upload(image: bpy.types.Image, pixels: np.ndarray) -> None:
    """Puts (H, W, 4) float pixels (rows top to bottom) into ``image``, resizing it as needed."""
    height, width = pixels.shape[:2]
    if tuple(image.size) != (width, height):
        image.scale(width, height)
    image.pixels.foreach_set(np.ascontiguousarray(pixels[::-1], dtype=np.float32).ravel())
    image.update()


def _float_image(name: str, colorspace: str) -> bpy.types.Image:
    image = bpy.data.images.new(name, 8, 8, alpha=True, float_buffer=True)
    image.colorspace_settings.name = colorspace
    return image


class PrintSheet:
    def __init__(self, scene: bpy.types.Scene, pass_index: int) -> None:
        self.albedo = _float_image("print_albedo", "Linear Rec.709")
        self.nir = _float_image("print_nir", "Non-Color")
        self.material = self._build_material()
        self.object = link(scene, bpy.data.objects.new("print_sheet", bpy.data.meshes.new("print_sheet")))
        self.object.pass_index = pass_index
        solidify = self.object.modifiers.new("thickness", "SOLIDIFY")
        solidify.thickness = PAPER_THICKNESS_M
        solidify.offset = -1.0  # the printed face stays where the labels put it
        self.object.hide_render = True
        self.size = (0.1, 0.1)
        self.params: dict[str, Any] = {}

    def _build_material(self) -> bpy.types.Material:
        material, tree, bsdf = principled_material("print_paper")
        uv = tree.nodes.new("ShaderNodeUVMap")
        uv.uv_map = "sheet_uv"
        textures = []
        for image in (self.albedo, self.nir):
            texture = tree.nodes.new("ShaderNodeTexImage")
            texture.image = image
            texture.interpolation = "Linear"
            texture.extension = "EXTEND"
            tree.links.new(uv.outputs["UV"], texture.inputs["Vector"])
            textures.append(texture)
        nir_mode = value_node(tree, "nir_mode", 0.0)
        base = mix_colour(tree, nir_mode, textures[0].outputs["Color"], textures[1].outputs["Color"])
        tree.links.new(base, bsdf.inputs["Base Color"])
        tree.links.new(textures[0].outputs["Alpha"], bsdf.inputs["Alpha"])
        # Paper fibres: a fine, weak relief (matte paper shows it, the coat of glossy paper hides it).
        fibres = tree.nodes.new("ShaderNodeTexNoise")
        fibres.inputs["Scale"].default_value = 900.0
        fibres.inputs["Detail"].default_value = 6.0
        coords = tree.nodes.new("ShaderNodeTexCoord")
        tree.links.new(coords.outputs["Object"], fibres.inputs["Vector"])
        bump = tree.nodes.new("ShaderNodeBump")
        bump.name = "bump"
        tree.links.new(math_node(tree, "MULTIPLY", fibres.outputs["Fac"], 0.00003), bump.inputs["Height"])
        bump.inputs["Distance"].default_value = 1.0
        tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
        bsdf.inputs["Coat Roughness"].default_value = 0.04
        return material

    def apply(
        self,
        params: dict[str, Any],
        albedo: np.ndarray,
        nir: np.ndarray,
        size_m: tuple[float, float],
        frame: np.ndarray,
    ) -> None:
        """Shapes the sheet (``size_m`` width x height) at ``frame`` (4x4 local-to-world) with the printed textures."""
        upload(self.albedo, albedo)
        upload(self.nir, np.repeat(nir[..., None], 4, axis=-1))
        vertices, quads, uv = sheet_grid(size_m[0], size_m[1], params)
        old = self.object.data
        mesh = bpy.data.meshes.new("print_sheet")
        mesh.from_pydata(vertices.tolist(), [], quads)
        layer = mesh.uv_layers.new(name="sheet_uv")
        loop_vertices = np.empty(len(mesh.loops), np.int64)
        mesh.loops.foreach_get("vertex_index", loop_vertices)
        layer.data.foreach_set("uv", uv[loop_vertices].astype(np.float32).ravel())
        mesh.shade_smooth()
        mesh.materials.append(self.material)
        self.object.data = mesh
        bpy.data.meshes.remove(old)
        set_matrix(self.object, frame)
        nodes = self.material.node_tree.nodes
        glossy = params["paper"] == "glossy"
        nodes["bsdf"].inputs["Roughness"].default_value = params["roughness"]
        nodes["bsdf"].inputs["Coat Weight"].default_value = 1.0 if glossy else 0.0
        nodes["bump"].inputs["Strength"].default_value = 0.3 if glossy else 1.0
        self.size = size_m
        self.params = params
        self.object.hide_render = False

    def set_nir(self, nir: bool) -> None:
        self.material.node_tree.nodes["nir_mode"].outputs[0].default_value = 1.0 if nir else 0.0

    def world_points(self, uv: np.ndarray) -> np.ndarray:
        """World points of sheet coordinates ``uv`` (N, 2) on the printed face."""
        local = sheet_points(uv, self.size[0], self.size[1], self.params)
        matrix = np.array(self.object.matrix_world)
        return local @ matrix[:3, :3].T + matrix[:3, 3]


class PrintInstrument(Instrument):
    """A printed photo of the victim: the printer's raster on a bent sheet, maybe pinched at its bottom edge."""

    cut = False  # a cut-out (``CutoutInstrument``) keeps only the hand's outline of the photo

    def __init__(self, attack: AttackBuilder) -> None:
        super().__init__(attack)
        self.sheet = PrintSheet(attack.scene, HAND_INSTANCE_ID)

    def present(self, params: dict[str, Any], photo: np.ndarray | None) -> np.ndarray | None:
        source = self.attack.source
        assert source is not None and photo is not None
        width = source.width_m * params["scale"]
        height = width * photo.shape[0] / photo.shape[1]
        margin = 0.0 if self.cut else params["margin_m"]
        raster = int(np.clip(round(width / 0.0254 * params["dpi"]), 64, MAX_PRINT_RASTER_PX))
        margin_px = round(margin / width * raster)
        albedo, nir = printed_textures(photo, params, raster, margin_px, source.mask if self.cut else None)
        # The margins in pixels set the sheet's real size, so texture and mesh agree exactly.
        margin = margin_px * width / raster
        size = (width + 2 * margin, height + 2 * margin)
        self.sheet.apply(params, albedo, nir, size, self.attack.frame)
        holder = params.get("holder")
        if holder and self.cut:
            # A cut-out is pinched at its lowest point (the forearm's end), not at a fixed place on the edge.
            rows = np.flatnonzero(source.mask.any(axis=1))
            if rows.size:
                lowest = source.mask[rows[-1]]
                u = (np.flatnonzero(lowest).mean() + 0.5) / lowest.size
                v = 1.0 - (rows[-1] + 1) / source.mask.shape[0]
                self.attack.hold(holder, ((u - 0.5) * size[0], (v - 0.5) * size[1] + holder["inset_m"]))
        elif holder:
            self.attack.hold(holder, ((holder["edge_position"] - 0.5) * size[0], -size[1] / 2 + holder["inset_m"]))
        uv = source.keypoints_uv
        sheet_uv = np.stack([(margin + uv[:, 0] * width) / size[0], (margin + uv[:, 1] * height) / size[1]], axis=1)
        return self.sheet.world_points(sheet_uv)

    def set_nir(self, nir: bool) -> None:
        self.sheet.set_nir(nir)

    def hide(self) -> None:
        self.sheet.object.hide_render = True
