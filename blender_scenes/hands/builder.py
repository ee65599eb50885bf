"""The hand scene: a MakeHuman hand posed from a spec, before a backdrop, seen by a palm scanner or a camera.

Heavy parts are built once per worker: the skin material, the palm-map image, the backdrop, and one hand per
side; a new identity's hand shape only sets shape-key values and refits the rig (``HandAsset.set_shape``). A
spec then sets the pose, the identity's skin and palm maps, the camera, the lights and, for near infrared, the
sensor's own light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
import numpy as np

from blender_scenes.builder import SceneBuilder
from blender_scenes.common.backdrop import Backdrops
from blender_scenes.common.stage import Stage, ground_quad, link, set_matrix
from blender_scenes.common.surface_materials import apply_surface, build_surface_material
from blender_scenes.hands.accessories import Accessories
from blender_scenes.hands.environment import EnvironmentSet, ViewFrame
from blender_scenes.hands.hand_asset import HandAsset
from blender_scenes.hands.skin_marks import apply_skin_marks
from blender_scenes.hands.skin_material import PALM_MAP_SIZE, apply_skin, build_skin_material
from blender_scenes.hands.sleeve import build_sleeve, fit_sleeve
from blender_scenes.hands.sleeve_fabric import apply_sleeve_fabric, build_sleeve_fabric
from synthgen.assets.makehuman_data import ensure_makehuman_data
from synthgen.scenes.common.camera_math import look_at
from synthgen.scenes.common.sampling import euler_xyz_matrix
from synthgen.scenes.hands.accessories import worn
from synthgen.scenes.hands.accessory_geometry import mark_anchor
from synthgen.scenes.hands.camera_framing import frame_hand_camera
from synthgen.scenes.hands.finger_space import finger_attributes
from synthgen.scenes.hands.palm_textures import render_palm_maps
from synthgen.scenes.hands.skin_attributes import palm_uv, skin_attributes

HAND_INSTANCE_ID = 1
BACKDROP_SIZE_M = 6.0


def add_palm_attributes(asset: HandAsset, geometry: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Palm coordinates (``palm_uv``), palm-skin and nail weights, finger-space coordinates for the finger creases
    and knuckle wrinkles (``synthgen.scenes.hands.finger_space``) and rest coordinates in mm (``rest_co``, so skin
    texture
    sticks to the skin in every pose), all from the rest pose of the current shape.

    Palm coordinates are anatomical, the same for both sides: u from the thumb side (0) to the little-finger
    side (1), v from the wrist (0) to the finger bases (1). The hand frame has the palm facing -Z.
    ``geometry``: ``asset.rest_geometry()`` if the caller has it already.
    """
    keypoints = asset.keypoints_rest()
    mesh = asset.mesh_object.data
    co, normals = geometry if geometry is not None else asset.rest_geometry()

    u, v = palm_uv(co, keypoints)
    attributes = skin_attributes(co, normals, keypoints, asset.side)
    attributes |= finger_attributes(co, keypoints, asset.finger_membership(), asset.side)
    for name, values in attributes.items():
        kind = "FLOAT_VECTOR" if values.ndim == 2 else "FLOAT"
        attribute = mesh.attributes.get(name) or mesh.attributes.new(name, kind, "POINT")
        attribute.data.foreach_set("vector" if values.ndim == 2 else "value", values.astype(np.float32).ravel())
    uv_layer = mesh.uv_layers.get("palm_uv") or mesh.uv_layers.new(name="palm_uv")
    loop_vertices = np.empty(len(mesh.loops), np.int64)
    mesh.loops.foreach_get("vertex_index", loop_vertices)
    uv_layer.data.foreach_set("uv", np.stack([u, v], axis=1)[loop_vertices].astype(np.float32).ravel())
    mesh.uv_layers["UVMap"].active_render = True


class HandBuilder(SceneBuilder):
    """A posed MakeHuman hand (one asset per side, reshaped per identity), its sleeve, a backdrop and the NIR LED."""

    def __init__(self, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> None:
        self.scene = scene
        self.stage = stage
        self.data_dir = ensure_makehuman_data()
        self.palm_image = bpy.data.images.new("palm_maps", PALM_MAP_SIZE, PALM_MAP_SIZE, alpha=True, float_buffer=True)
        self.palm_image.colorspace_settings.name = "Non-Color"
        self.skin = build_skin_material(self.palm_image)
        self.hands: dict[str, tuple[tuple[tuple[str, float], ...], HandAsset]] = {}
        self.sleeves: dict[str, bpy.types.Object] = {}
        self.sleeve_material = build_surface_material("fabric")
        self.active: HandAsset | None = None
        self.backdrop = ground_quad(scene, "backdrop", BACKDROP_SIZE_M)
        self.backdrops = Backdrops()  # a procedural surface, or a source a plugin registers (a photograph)
        self.backdrop.data.materials.append(None)  # each spec's background sets it
        self.environment = EnvironmentSet(scene)
        self.sensor_light = link(scene, bpy.data.objects.new("nir_led", bpy.data.lights.new("nir_led", "AREA")))
        self.sensor_light.hide_render = True
        self._last_maps_key: str | None = None
        self.accessories = Accessories(scene)
        self.sleeve_fabric = build_sleeve_fabric()
        self.rest: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # side -> rest skin, normals, joints

    def set_visible(self, visible: bool) -> None:
        self.backdrop.hide_render = not visible
        if not visible:
            self.environment.hide()
            self.accessories.hide()
        for side, (_, asset) in self.hands.items():
            asset.mesh_object.hide_render = not (visible and asset is self.active)
            self.sleeves[side].hide_render = asset.mesh_object.hide_render

    # -- the hand ---------------------------------------------------------------------------------------------
    def _hand(self, side: str, shape: dict[str, float]) -> HandAsset:
        key = tuple(sorted((k, round(v, 6)) for k, v in shape.items()))
        cached = self.hands.get(side)
        if cached is not None and cached[0] == key:
            return cached[1]
        if cached is None:
            asset = HandAsset.build(self.data_dir, side, shape=shape, name=f"hand_{side}")
            asset.mesh_object.data.materials.append(self.skin)
            asset.mesh_object.pass_index = HAND_INSTANCE_ID
        else:  # a new identity shape: shape-key values and a refitted rig, no rebuild
            asset = cached[1]
            asset.set_shape(shape)
        geometry = asset.rest_geometry()
        add_palm_attributes(asset, geometry)
        self.rest[side] = (geometry[0], geometry[1], asset.keypoints_rest())
        if side in self.sleeves:
            fit_sleeve(self.sleeves[side], geometry[0])
        else:
            sleeve = build_sleeve(asset.mesh_object, asset.armature_object, f"sleeve_{side}", geometry[0])
            sleeve.data.materials.append(self.sleeve_material)
            self.sleeves[side] = sleeve
        self.hands[side] = (key, asset)
        return asset

    def apply(self, spec: dict[str, Any]) -> None:
        identity, hand = spec["identity"], spec["hand"]
        asset = self._hand(hand["side"], identity["shape"])
        for side, (_, other) in self.hands.items():
            other.mesh_object.hide_render = other is not asset
            self.sleeves[side].hide_render = other is not asset
        apply_surface(self.sleeve_material, spec["sleeve"])
        self.active = asset
        pose = hand["pose"]
        asset.set_pose({name: tuple(angles) for name, angles in pose["joints"].items()})
        asset.set_wrist(**pose["wrist"])
        rotation = np.eye(4)
        rotation[:3, :3] = euler_xyz_matrix(hand["rotation_deg"])
        set_matrix(asset.armature_object, rotation)
        self._apply_palm_maps(spec)
        apply_skin(self.skin, identity, spec["variation"], nir=False)
        self._apply_accessories(spec, asset)
        self.stage.apply_lighting(spec["lighting"])
        self._apply_camera_and_backdrop(spec)

    def _apply_accessories(self, spec: dict[str, Any], asset: HandAsset) -> None:
        """The live hand's rings, watch, bracelet, band-aids and skin marks (none on an attack's hand)."""
        wears = worn(spec)
        co, normals, keypoints = self.rest[asset.side]
        items, marks = wears["items"], wears["marks"]
        self.accessories.apply(items, asset, co, keypoints)
        sleeve = self.sleeves[asset.side]
        if wears.get("sleeve"):
            apply_sleeve_fabric(self.sleeve_fabric, wears["sleeve"])
            sleeve.data.materials[0] = self.sleeve_fabric
        else:
            sleeve.data.materials[0] = self.sleeve_material
        anchors = np.array([mark_anchor(co, normals, keypoints, mark) for mark in marks]).reshape(-1, 3)
        apply_skin_marks(self.skin, marks, anchors)

    def _apply_palm_maps(self, spec: dict[str, Any]) -> None:
        key = f"{spec['identity_id']}:{spec['render_index']}"
        if key == self._last_maps_key:
            return
        maps = render_palm_maps(spec["identity"], spec["variation"], size=PALM_MAP_SIZE)
        rgba = np.stack(
            [maps["crease_darkening"], maps["crease_height"], maps["vein_nir"], maps["marks"]], axis=-1
        ).astype(np.float32)
        # Map rows run from v = 1 (top) down; Blender images start at the bottom row.
        self.palm_image.pixels.foreach_set(rgba[::-1].ravel())
        self.palm_image.update()
        self._last_maps_key = key

    def _apply_camera_and_backdrop(self, spec: dict[str, Any]) -> None:
        camera = spec["camera"]
        assert self.active is not None
        keypoints = self.active.keypoints_world()
        palm_centre, palm_normal = self.active.palm_center_and_normal()
        view = frame_hand_camera(camera, keypoints, palm_centre, palm_normal, spec["hand"]["rotation_deg"])
        location, target, direction, side, up, distance = (
            view.location,
            view.target,
            view.direction,
            view.side,
            view.up,
            view.distance,
        )
        up_hint = view.up_hint
        self.stage.apply_camera(
            location, target, camera["roll_deg"], camera["focal_mm"], camera["sensor_mm"], up_hint=up_hint
        )
        self.scene.view_settings.exposure = camera.get("exposure_ev", 0.0)

        background = spec["background"]
        self.backdrop.hide_render = background["type"] != "backdrop"
        if background["type"] == "backdrop":
            self.backdrop.data.materials[0] = self.backdrops.material(background)
            behind = target - background["distance_m"] * direction
            # look_at aims the object's -Z away from the camera, so the plane's normal (+Z) faces it.
            set_matrix(self.backdrop, look_at(behind, behind - direction))
        pose = np.array(self.stage.camera.matrix_world)
        resolution = spec["render"]["resolution"]
        frame = ViewFrame(
            location=location, target=target, direction=-pose[:3, 2], right=pose[:3, 0], up=pose[:3, 1],
            distance=float(distance), half_width_per_m=camera["sensor_mm"] / (2.0 * camera["focal_mm"]),
            aspect=resolution[1] / resolution[0],
        )  # fmt: skip
        self.environment.apply(spec.get("environment"), background, frame)

        nir = spec.get("nir")
        if nir and nir.get("enabled"):
            led = location + np.asarray(nir["led_offset_m"][0]) * side + np.asarray(nir["led_offset_m"][1]) * up
            set_matrix(self.sensor_light, look_at(led, target))
            self.sensor_light.data.size = nir["led_size_m"]
            self.sensor_light.data.energy = nir["power_w_at_1m"] * distance**2
            self.sensor_light.data.color = (1.0, 1.0, 1.0)

    # -- near infrared --------------------------------------------------------------------------------------
    def begin_nir(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Switches to the NIR capture: only the sensor's LEDs light the scene, skin gets its NIR response."""
        saved = {"world": self.stage.set_ambient(spec["nir"]["ambient"]),
                 "lights": [light.hide_render for light in self.stage.lights],
                 "view_transform": self.scene.view_settings.view_transform,
                 "exposure": self.scene.view_settings.exposure}  # fmt: skip
        for light in self.stage.lights:
            light.hide_render = True
        self.sensor_light.hide_render = False
        self.scene.view_settings.view_transform = "Standard"
        self.scene.view_settings.exposure = 0.0  # the NIR sensor's exposure is its LED power and gain
        apply_skin(self.skin, spec["identity"], spec["variation"], nir=True)
        return saved

    def end_nir(self, spec: dict[str, Any], saved: dict[str, Any]) -> None:
        self.stage.restore_ambient(saved["world"])
        for light, hidden in zip(self.stage.lights, saved["lights"], strict=True):
            light.hide_render = hidden
        self.sensor_light.hide_render = True
        self.scene.view_settings.view_transform = saved["view_transform"]
        self.scene.view_settings.exposure = saved["exposure"]
        apply_skin(self.skin, spec["identity"], spec["variation"], nir=False)

    def focus_points(self) -> list[list[float]] | None:
        """The hand's keypoints: the camera focuses on the hand, not on the forearm beyond it."""
        return self.active.keypoints_world().tolist() if self.active is not None else None

    def labels(self) -> dict[str, Any]:
        assert self.active is not None
        centre, normal = self.active.palm_center_and_normal()
        return {
            "instances": [{"instance_id": HAND_INSTANCE_ID}],
            "keypoints_world": self.active.keypoints_world().tolist(),
            "palm_center_world": centre.tolist(),
            "palm_normal_world": normal.tolist(),
        }
