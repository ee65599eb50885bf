"""The products scene: SKU meshes with generated artwork on a table, a shelf or a conveyor belt.

Built once per worker: a pool of product objects (each with its own printed material, whose image is swapped
per SKU from a per-worker cache), a ground plane, a gondola shelf and a belt. ``apply`` writes each product's
mesh (the pure geometry of ``synthgen.scenes.products``, deformed by its defect) and custom properties that the
materials read. Labels: per instance the world matrix and the pixels its silhouette would cover unoccluded
(its projected triangles rasterised), and the defect pixels from the ``defect`` AOV.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from blender_scenes.builder import SceneBuilder
from blender_scenes.common.model_instances import ModelInstances
from blender_scenes.common.stage import Stage, ground_quad, link, set_matrix
from blender_scenes.common.surface_materials import SURFACE_FAMILIES, apply_surface, build_surface_material
from blender_scenes.products.grasp_check import settle_grasp
from blender_scenes.products.materials import DEFECT_AOV, build_printed, build_solid
from blender_scenes.products.store_shell import StoreShell
from synthgen.scenes.common.camera_math import framing_distance, horizontal_fov, look_at
from synthgen.scenes.common.pixel_labels import camera_labels
from synthgen.scenes.products.artwork import draw_atlas, price_tags
from synthgen.scenes.products.defects import deform
from synthgen.scenes.products.geometry import LABEL_BAND_FAMILIES, product_mesh
from synthgen.scenes.products.rasterise import rasterise

MAX_PRODUCTS = 128
MAX_TAGS = 64
MAX_BOARDS = 6  # boards of a gondola, the top one included
MAX_FIXTURES = 16  # ceiling light fixtures of a store
IMAGE_CACHE = 64
MESH_CACHE = 256
SHARED_MESHES = 96  # undeformed SKU meshes shared by all the facings of a SKU
GROUND_SIZE_M = 40.0  # far beyond any frame: its edge never shows
# Surface finishes: (roughness, metallic, transmission, coat).
FINISHES = {
    "cardboard": (0.85, 0.0, 0.0, 0.0),
    "printed_paper": (0.45, 0.0, 0.0, 0.15),
    "glossy_plastic": (0.18, 0.0, 0.0, 0.5),
    "matte_plastic": (0.55, 0.0, 0.0, 0.0),
    "clear_plastic": (0.05, 0.0, 1.0, 0.0),
    "metal": (0.22, 1.0, 0.0, 0.0),
    "glass": (0.02, 0.0, 1.0, 0.0),
}


def _sku_key(sku: dict[str, Any]) -> str:
    """What a cached mesh or image is of: the SKU's id alone may name another product in another job's
    catalogue (another family mix), so its family and size are part of the key."""
    return f"{sku['sku_id']}:{sku['family']}:{sku['artwork']['seed']}:{sku['size']}"


def _box(name: str, scene: bpy.types.Scene, material: bpy.types.Material) -> bpy.types.Object:
    mesh = bpy.data.meshes.new(name)
    v = [(x, y, z) for z in (-0.5, 0.5) for y in (-0.5, 0.5) for x in (-0.5, 0.5)]
    mesh.from_pydata(v, [], [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)])
    obj = link(scene, bpy.data.objects.new(name, mesh))
    obj.data.materials.append(material)
    obj.pass_index = 0
    return obj


def _flat_material(name: str) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    return material


def _tag_material() -> bpy.types.Material:
    """Paper shelf-edge labels printed from one sheet of price tags."""
    sheet = price_tags()
    image = bpy.data.images.new("price_tags", sheet.shape[1], sheet.shape[0], alpha=False)
    rgba = np.concatenate([sheet, np.full((*sheet.shape[:2], 1), 255, np.uint8)], axis=2)
    image.pixels.foreach_set((rgba[::-1].astype(np.float32) / 255.0).ravel())
    image.pack()
    material = _flat_material("fixture_tag")
    tree = material.node_tree
    texture = tree.nodes.new("ShaderNodeTexImage")
    texture.image = image
    bsdf = tree.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = 0.45
    tree.links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
    return material


def _tag_uvs(mesh: bpy.types.Mesh, cell: int) -> None:
    """The front face (-y) of a tag box shows one cell of the 4 x 4 price-tag sheet; other faces its edge."""
    u0, v0 = (cell % 4) / 4, 1.0 - (cell // 4 + 1) / 4
    uv_layer = mesh.uv_layers.new(name="UVMap")
    corners = {(0, 1, 5, 4): [(u0, v0), (u0 + 0.25, v0), (u0 + 0.25, v0 + 0.25), (u0, v0 + 0.25)]}
    for polygon in mesh.polygons:
        uvs = corners.get(tuple(polygon.vertices), [(u0 + 0.01, v0 + 0.01)] * 4)
        for loop_index, uv in zip(polygon.loop_indices, uvs, strict=True):
            uv_layer.data[loop_index].uv = uv


def _belt_material() -> bpy.types.Material:
    """Rubber belt with ribs across its width (a wave texture bumps the surface along x)."""
    material = _flat_material("fixture_belt_ribbed")
    tree = material.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    coords = tree.nodes.new("ShaderNodeTexCoord")
    wave = tree.nodes.new("ShaderNodeTexWave")
    wave.name = "ribs"
    wave.bands_direction = "X"
    wave.inputs["Distortion"].default_value = 0.3
    bump = tree.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.35
    tree.links.new(coords.outputs["Object"], wave.inputs["Vector"])
    tree.links.new(wave.outputs["Fac"], bump.inputs["Height"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return material


def _set_flat(material: bpy.types.Material, colour: list[float], roughness: float, metallic: float = 0.0) -> None:
    bsdf = material.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*colour, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic


class ProductBuilder(SceneBuilder):
    """Products on a table, shelf or conveyor (fixtures built once), or one product in a hand."""

    def __init__(self, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> None:
        self.scratch = scratch
        self.scene = scene
        self.stage = stage
        view_layer = scene.view_layers[0]
        if DEFECT_AOV not in [a.name for a in view_layer.aovs]:
            aov = view_layer.aovs.add()
            aov.name, aov.type = DEFECT_AOV, "VALUE"
        self.ground = ground_quad(scene, "products_ground", GROUND_SIZE_M)
        self.surface_materials = {f: build_surface_material(f) for f in SURFACE_FAMILIES}
        self.ground.data.materials.append(self.surface_materials[SURFACE_FAMILIES[0]])
        self.fixture_materials = {k: _flat_material(f"fixture_{k}") for k in ("board", "back", "edge", "belt", "frame")}
        self.fixtures: dict[str, bpy.types.Object] = {}
        for i in range(MAX_BOARDS):
            self.fixtures[f"board_{i}"] = _box(f"board_{i}", scene, self.fixture_materials["board"])
            self.fixtures[f"edge_{i}"] = _box(f"edge_{i}", scene, self.fixture_materials["edge"])
        self.fixtures["back"] = _box("shelf_back", scene, self.fixture_materials["back"])
        self.fixtures["kick"] = _box("shelf_kick", scene, self.fixture_materials["back"])
        self.fixture_materials["tag"] = _tag_material()
        for i in range(MAX_TAGS):
            tag = self.fixtures[f"tag_{i}"] = _box(f"tag_{i}", scene, self.fixture_materials["tag"])
            _tag_uvs(tag.data, i % 16)
        for i in range(4):  # the uprights between and beside the bays
            self.fixtures[f"upright_{i}"] = _box(f"upright_{i}", scene, self.fixture_materials["back"])
        for side in ("left", "right"):
            self.fixtures[f"rail_{side}"] = _box(f"rail_{side}", scene, self.fixture_materials["frame"])
        self.fixture_materials["belt"] = _belt_material()
        self.fixtures["belt"] = _box("belt", scene, self.fixture_materials["belt"])
        self.store = StoreShell(scene, MAX_FIXTURES)
        self.solid_prefixes = ("cap", "clear", "content")
        self.products: list[bpy.types.Object] = []
        self.slot_meshes: list[bpy.types.Mesh] = []
        self.shared: OrderedDict[str, bpy.types.Mesh] = OrderedDict()
        self._grow(8)
        self.images: OrderedDict[str, bpy.types.Image] = OrderedDict()
        self.meshes: OrderedDict[str, tuple[Any, np.ndarray]] = OrderedDict()
        self.hand_scene: Any = None  # built on the first hand-held spec (loads the MakeHuman hand)
        self.held = False  # the current spec puts the product in a hand
        self.models = ModelInstances(scene)  # the user's product models (synthgen.assets.model_skus)

    def _grow(self, count: int) -> None:
        """Product slots up to ``count``: objects whose materials sit on the object (not the mesh), so facings of
        one SKU share one mesh and each keeps its own artwork and custom properties."""
        while len(self.products) < min(count, MAX_PRODUCTS):
            slot = len(self.products)
            mesh = bpy.data.meshes.new(f"sku_{slot}")
            for _ in range(4):
                mesh.materials.append(None)
            obj = link(self.scene, bpy.data.objects.new(f"sku_{slot}", mesh))
            materials = [build_printed(f"sku_{slot}_printed")]
            materials += [build_solid(f"sku_{slot}_{prefix}", prefix) for prefix in self.solid_prefixes]
            for material_slot, material in zip(obj.material_slots, materials, strict=True):
                material_slot.link = "OBJECT"
                material_slot.material = material
            bevel = obj.modifiers.new("bevel", "BEVEL")
            bevel.width, bevel.segments, bevel.limit_method, bevel.angle_limit = 0.002, 2, "ANGLE", math.radians(60)
            obj.hide_render = True
            self.products.append(obj)
            self.slot_meshes.append(mesh)

    def set_visible(self, visible: bool) -> None:
        self.ground.hide_render = not visible
        if not visible:
            self.store.hide()
        for obj in [*self.fixtures.values(), *self.products, *self.models.visible()]:
            obj.hide_render = obj.hide_render or not visible
        if self.hand_scene is not None and not visible:
            self.hand_scene.set_visible(False)

    # ------------------------------------------------------------------ apply

    def apply(self, spec: dict[str, Any]) -> None:
        self.held = spec["layout"] == "hand"
        if self.held:
            self._apply_hand_held(spec)
            return
        if self.hand_scene is not None:
            self.hand_scene.set_visible(False)
        self.ground.hide_render = False
        material = self.surface_materials[spec["surface"]["material"]]
        self.ground.data.materials[0] = material
        apply_surface(material, spec["surface"])
        self._apply_fixtures(spec)
        products = spec["products"]
        if len(products) > MAX_PRODUCTS:
            raise ValueError(f"products: at most {MAX_PRODUCTS} per scene, got {len(products)}")
        self._grow(len(products))
        for slot, obj in enumerate(self.products):
            obj.hide_render = slot >= len(products)
        self.models.begin()
        for obj, item in zip(self.products, products, strict=False):
            self._show_product(obj, item, spec["skus"][str(item["sku_id"])])
        self._release_shared()
        self.stage.apply_lighting(spec["lighting"])
        self.store.apply(spec["lighting"].get("store"), spec.get("shelf"))
        self.stage.apply_camera_spec(spec["camera"])

    def _apply_hand_held(self, spec: dict[str, Any]) -> None:
        """The hand scene poses the hand (grasp fitted to the product), lights and frames it; the product is
        then put into the grip: its axis along the knuckle line, its back against the palm."""
        if self.hand_scene is None:
            from blender_scenes.hands.builder import HandBuilder

            self.hand_scene = HandBuilder(self.scene, self.stage, self.scratch)
        self.ground.hide_render = True
        for obj in self.fixtures.values():
            obj.hide_render = True
        self.store.hide()
        self.hand_scene.apply(spec)
        self.hand_scene.set_visible(True)
        item = spec["products"][0]
        sku = spec["skus"][str(item["sku_id"])]
        for slot, obj in enumerate(self.products):
            obj.hide_render = slot > 0
        self.models.begin()
        held = self._show_product(self.products[0], item, sku)
        matrix = self._grip_matrix(item, spec["grip"])
        set_matrix(held, matrix)
        if "clearance_m" in spec["grip"]:  # the fitted grasp settled on this identity's skin (grasp_check)
            touching = [d for d, gap in spec["grip"]["clearance_m"].items() if gap < 0.001]
            _, normal = self.hand_scene.active.palm_center_and_normal()
            rests = spec["grip"]["type"] in ("power", "support")
            settle_grasp(self.hand_scene.active, held, spec["hand"]["pose"]["joints"], touching, normal, rests)
            matrix = np.array(held.matrix_world)
        self._frame_hand_and_product(spec, matrix, item)

    def _frame_hand_and_product(self, spec: dict[str, Any], matrix: np.ndarray, item: dict[str, Any]) -> None:
        """The hand scene framed the hand alone: back the camera off along its view until the product fits too,
        and keep the backdrop behind the product."""
        from synthgen.scenes.products.geometry import box_corners

        camera = self.stage.camera
        pose = np.array(camera.matrix_world)
        forward, up = -pose[:3, 2], pose[:3, 1]
        corners = box_corners(*item["bounds_local"]) @ matrix[:3, :3].T + matrix[:3, 3]
        points = np.vstack([self.hand_scene.active.keypoints_world(), corners])
        target = (points.min(axis=0) + points.max(axis=0)) / 2
        extent = float(np.linalg.norm(points - target, axis=1).max()) + 0.01
        cam = spec["camera"]
        fov = horizontal_fov(cam["focal_mm"], cam["sensor_mm"])
        distance = framing_distance(extent, cam["fill"], fov)
        self.stage.apply_camera(target - forward * distance, target, 0.0, cam["focal_mm"], cam["sensor_mm"], up_hint=up)
        background = spec["background"]
        if background["type"] == "backdrop":
            behind = target + forward * max(background["distance_m"], extent + 0.05)
            set_matrix(self.hand_scene.backdrop, look_at(behind, behind + forward))

    def _grip_matrix(self, item: dict[str, Any], grip: dict[str, Any]) -> np.ndarray:
        asset = self.hand_scene.active
        if "product_in_hand" in grip:  # fitted in contact (synthgen.scenes.products.grasp)
            matrix = asset.hand_frame_to_world() @ np.array(grip["product_in_hand"])
            if asset.side == "left":  # the mirror of a right-hand placement, as a proper rotation
                matrix = matrix @ np.diag([-1.0, 1.0, 1.0, 1.0])
            return matrix
        along = grip["along"]
        keypoints = asset.keypoints_world()
        centre, normal = asset.palm_center_and_normal()
        axis = keypoints[5] - keypoints[17]  # pinky knuckle to index knuckle
        axis -= normal * float(axis @ normal)
        axis /= np.linalg.norm(axis)
        y = -normal  # the product's back (+y) faces the palm
        x = np.cross(y, axis)
        low, high = np.array(item["bounds_local"])
        radius = grip["diameter_m"] / 2.0
        height = high[2] - low[2]
        middle = np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2] + along * height])
        matrix = np.eye(4)
        matrix[:3, :3] = np.stack([x, y, axis], axis=1)
        target = centre + normal * (radius + 0.004)
        matrix[:3, 3] = target - matrix[:3, :3] @ middle
        return matrix

    def _place_box(self, name: str, centre: list[float], size: list[float]) -> None:
        obj = self.fixtures[name]
        obj.hide_render = False
        matrix = np.diag([*size, 1.0])
        matrix[:3, 3] = centre
        set_matrix(obj, matrix)

    def _apply_fixtures(self, spec: dict[str, Any]) -> None:
        for obj in self.fixtures.values():
            obj.hide_render = True
        shelf, belt = spec.get("shelf"), spec.get("conveyor")
        if shelf:
            _set_flat(self.fixture_materials["board"], shelf["board_color"], 0.4, 0.3)
            _set_flat(self.fixture_materials["back"], shelf["back_color"], 0.6)
            _set_flat(self.fixture_materials["edge"], shelf["edge_color"], 0.35)
            bays = shelf.get("bays", 1)
            w, d, t = shelf["width_m"], shelf["depth_m"], 0.02
            run = bays * w + 0.04  # the gondola run: its bays side by side
            for i in range(shelf["boards"]):
                z = shelf["base_m"] + i * shelf["spacing_m"]
                self._place_box(f"board_{i}", [0.0, 0.0, z - t / 2], [run, d, t])
                # The shelf edge (price rail) in front of the board.
                self._place_box(f"edge_{i}", [0.0, -d / 2 - 0.006, z - 0.022], [run, 0.012, 0.045])
            for i, (x, board) in enumerate(shelf.get("tags", [])[:MAX_TAGS]):
                z = shelf["base_m"] + board * shelf["spacing_m"]
                self._place_box(f"tag_{i}", [x, -d / 2 - 0.0125, z - 0.022], [0.04, 0.002, 0.028])
            top = shelf["base_m"] + shelf["boards"] * shelf["spacing_m"]
            self._place_box(f"board_{shelf['boards']}", [0.0, 0.0, top - t / 2], [run, d, t])  # the top
            self._place_box("back", [0.0, d / 2 + 0.01, top / 2 + 0.1], [run, 0.02, top + 0.2])
            base = shelf["base_m"] - t
            self._place_box("kick", [0.0, -d / 2 + 0.01, base / 2], [run, 0.02, base])  # the plinth under it
            for k in range(bays + 1):
                x = (k - bays / 2) * w
                self._place_box(f"upright_{k}", [x, 0.0, top / 2 + 0.1], [0.04, d + 0.04, top + 0.2])
        if belt:
            _set_flat(self.fixture_materials["belt"], belt["belt_color"], 0.8)
            # Object coordinates of the unit box stretch over the belt's 6 m: scale the ribs to about 1 cm.
            self.fixture_materials["belt"].node_tree.nodes["ribs"].inputs["Scale"].default_value = belt["rib_scale"] * 6
            _set_flat(self.fixture_materials["frame"], belt["frame_color"], 0.3, 1.0)
            width = belt["width_m"]
            # The belt top is the support plane z = 0; products were placed on it.
            self._place_box("belt", [0.0, 0.0, -0.01], [6.0, width, 0.02])
            for side, y in (("left", -1), ("right", 1)):
                self._place_box(f"rail_{side}", [0.0, y * (width / 2 + 0.02), 0.0], [6.0, 0.03, 0.06])
            # The floor sits below the belt frame.
            self.ground.location = (0.0, 0.0, -0.7)
        else:
            self.ground.location = (0.0, 0.0, 0.0)

    def _image(self, sku: dict[str, Any]) -> bpy.types.Image:
        key = f"{_sku_key(sku)}:{sku['artwork']['barcode']}"
        if key in self.images:
            self.images.move_to_end(key)
            return self.images[key]
        atlas = draw_atlas(sku).pixels
        image = bpy.data.images.new(f"atlas_{key}", atlas.shape[1], atlas.shape[0], alpha=True)
        image.pixels.foreach_set((atlas[::-1].astype(np.float32) / 255.0).ravel())
        image.pack()
        self.images[key] = image
        if len(self.images) > IMAGE_CACHE:
            _, old = self.images.popitem(last=False)
            bpy.data.images.remove(old)
        return image

    def _mesh(self, sku: dict[str, Any]) -> tuple[Any, np.ndarray]:
        """The SKU's pure mesh and its flattened per-corner UVs, built once per worker (shelves repeat SKUs)."""
        key = _sku_key(sku)
        if key not in self.meshes:
            mesh = product_mesh(sku)
            uvs = np.array([c for face in mesh.uvs for c in face], dtype=np.float32).ravel()
            self.meshes[key] = (mesh, uvs)
            if len(self.meshes) > MESH_CACHE:
                self.meshes.popitem(last=False)
        self.meshes.move_to_end(key)
        return self.meshes[key]

    def _show_product(self, obj: bpy.types.Object, item: dict[str, Any], sku: dict[str, Any]) -> bpy.types.Object:
        """A procedural SKU in its pool slot ``obj``, or a user's model (the slot then stays hidden)."""
        if sku["family"] == "model":
            obj.hide_render = True
            return self.models.place(sku, item)
        self._apply_product(obj, item, sku)
        return obj

    @staticmethod
    def _write_mesh(mesh: bpy.types.Mesh, verts: np.ndarray, mesh_data: Any, uvs: np.ndarray) -> None:
        mesh.clear_geometry()
        mesh.from_pydata(verts.tolist(), [], mesh_data.faces)
        mesh.polygons.foreach_set("material_index", mesh_data.materials)
        uv_layer = mesh.uv_layers.new(name="UVMap") if not mesh.uv_layers else mesh.uv_layers[0]
        uv_layer.data.foreach_set("uv", uvs)
        mesh.shade_smooth()
        mesh.set_sharp_from_angle(angle=math.radians(50))
        mesh.update()

    def _shared_mesh(self, sku: dict[str, Any]) -> bpy.types.Mesh:
        """The undeformed SKU as one Blender mesh, shared by every facing of it (instancing, not copies)."""
        key = _sku_key(sku)
        if key not in self.shared:
            mesh = bpy.data.meshes.new(f"shared_{key}")
            for _ in range(4):
                mesh.materials.append(None)
            mesh_data, uvs = self._mesh(sku)
            self._write_mesh(mesh, mesh_data.array(), mesh_data, uvs)
            self.shared[key] = mesh
        self.shared.move_to_end(key)
        return self.shared[key]

    def _release_shared(self) -> None:
        """Hidden slots go back to their own meshes; shared meshes beyond the cache that no slot uses are freed."""
        for obj, own in zip(self.products, self.slot_meshes, strict=True):
            if obj.hide_render and obj.data is not own:
                obj.data = own
        in_use = {obj.data.name for obj in self.products}
        while len(self.shared) > SHARED_MESHES:
            key = next((k for k, m in self.shared.items() if m.name not in in_use), None)
            if key is None:
                break
            bpy.data.meshes.remove(self.shared.pop(key))

    def _apply_product(self, obj: bpy.types.Object, item: dict[str, Any], sku: dict[str, Any]) -> None:
        defect = item.get("defect")
        slot = self.products.index(obj)
        if defect:  # a deformed copy of its own
            mesh_data, uvs = self._mesh(sku)
            own = self.slot_meshes[slot]
            self._write_mesh(own, deform(mesh_data, defect, sku), mesh_data, uvs)
            obj.data = own
        else:
            obj.data = self._shared_mesh(sku)
        obj.modifiers["bevel"].show_render = sku["family"] == "carton"
        obj.pass_index = item["instance_id"]
        set_matrix(obj, np.array(item["matrix_world"]))
        obj.material_slots[0].material.node_tree.nodes["artwork"].image = self._image(sku)
        self._set_props(obj, sku, defect)

    @staticmethod
    def _set_props(obj: bpy.types.Object, sku: dict[str, Any], defect: dict[str, Any] | None) -> None:
        mats = sku["materials"]
        body = FINISHES[mats["body"]]
        label = FINISHES[mats["label"] if sku["family"] in LABEL_BAND_FAMILIES else mats["body"]]
        cap = FINISHES[mats["cap"]]
        obj["band"] = 1.0 if sku["family"] in LABEL_BAND_FAMILIES else 0.0
        obj["label_rough"], obj["label_coat"] = label[0], label[3]
        obj["label_metal"] = 0.35 if mats["body"] == "metal" else 0.0  # ink printed on metal keeps some sheen
        obj["body_color"] = sku["container_color_linear"]
        obj["body_rough"], obj["body_metal"], obj["body_transmission"], obj["body_coat"] = body
        obj["cap_color"] = sku["cap_color_linear"]
        obj["cap_rough"], obj["cap_metal"], obj["cap_transmission"] = cap[0], cap[1], 0.0
        obj["clear_color"], obj["clear_rough"], obj["clear_metal"], obj["clear_transmission"] = (
            [0.95, 0.97, 1.0],
            0.03,
            0.0,
            1.0,
        )
        obj["content_color"] = sku["container_color_linear"]
        obj["content_rough"], obj["content_metal"], obj["content_transmission"] = 0.4, 0.0, 0.0
        d = defect or {}
        on = defect is not None and d["type"] != "misaligned_label"
        obj["d_on"] = 1.0 if on else 0.0
        obj["d_a"], obj["d_b"] = d.get("a", [0.0, 0.0, 0.0]), d.get("b", [0.0, 0.0, 0.0])
        radius = d.get("radius", 0.01) or 0.01
        obj["d_radius"] = radius
        obj["d_noise_scale"] = 3.0 / radius
        obj["d_noise_m"] = 2.0 * d.get("noise", 0.0) * radius
        obj["d_color"] = d.get("color_linear", [0.0, 0.0, 0.0])
        obj["d_mix"] = d.get("mix", 0.0)
        obj["d_rough"] = d.get("roughness", -1.0)
        obj["d_cut"] = float(d.get("cut", 0))
        shift = d.get("label_shift", [0.0, 0.0, 0.0])
        _low, _high = sku["label_band"] or (0.0, 1.0)
        # The shift is in label heights; the label band fills 0.75 of the atlas' v.
        obj["label_dv"], obj["label_tilt"], obj["label_phase"] = shift[0] * 0.75, shift[1] * 0.75, shift[2]

    # ------------------------------------------------------------------ labels

    def labels(self) -> dict[str, Any]:
        bpy.context.view_layer.update()
        K, pose = camera_labels(self.stage.camera_record())
        width, height = self.scene.render.resolution_x, self.scene.render.resolution_y
        world_to_cam = np.linalg.inv(pose)
        depsgraph = bpy.context.evaluated_depsgraph_get()
        instances = []
        for obj in [*self.products, *self.models.visible()]:
            if obj.hide_render:
                continue
            matrix = np.array(obj.matrix_world)
            evaluated = obj.evaluated_get(depsgraph)
            mesh = evaluated.to_mesh()
            try:
                mesh.calc_loop_triangles()
                count = len(mesh.vertices)
                co = np.empty(count * 3, dtype=np.float64)
                mesh.vertices.foreach_get("co", co)
                tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int64)
                mesh.loop_triangles.foreach_get("vertices", tris)
            finally:
                evaluated.to_mesh_clear()
            world = co.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]
            silhouette = rasterise(world, tris.reshape(-1, 3), K, world_to_cam, width, height)
            instances.append(
                {
                    "instance_id": obj.pass_index,
                    "matrix_world": matrix.tolist(),
                    "unoccluded_pixels": int(silhouette.sum()),
                }
            )
        labels: dict[str, Any] = {"instances": instances}
        if self.held:
            hand = self.hand_scene.labels()
            labels |= {k: v for k, v in hand.items() if k != "instances"}
        return labels

    def pass_labels(self, passes: dict[str, np.ndarray], spec: dict[str, Any]) -> dict[str, Any]:
        """The defect mask: each defect's id where its product's pixels show the defect region."""
        aov = passes.get(DEFECT_AOV)
        mask = np.zeros(passes["object_index"].shape, dtype=np.uint8)
        if aov is None:
            return {"defect_index": mask}
        hit = aov > 0.5
        defect_id = 0
        for item in spec["products"]:
            if item.get("defect"):
                defect_id += 1
                mask[hit & (passes["object_index"] == item["instance_id"])] = defect_id
        return {"defect_index": mask}
