"""The hands scene with presentation attacks: the live scene (same lights, camera, backdrop), with the hand replaced
by a printed photo, a screen, a paper cut-out or given a silicone material.

Print, screen and cut-out show the victim's *source capture* (``attack_params["source"]``, a live palm spec),
rendered here by the same ``HandScene`` before the attack sample and cached per source spec (only a speed-up:
the spec is deterministic). The instrument is placed where the live palm would be, facing the camera like a
presented palm, with the photo upright along the hand's finger direction; the depicted keypoints are the
source capture's keypoints carried through the instrument's photo-to-surface mapping.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy
import cv2
import numpy as np

from blender_scenes.common.render_setup import apply_render_settings, render_to_arrays
from blender_scenes.common.stage import set_matrix
from blender_scenes.hands.attacks.print_sheet import PrintSheet
from blender_scenes.hands.attacks.screen_device import ScreenDevice
from blender_scenes.hands.attacks.silicone import apply_silicone, build_silicone_material, set_silicone_nir
from blender_scenes.hands.builder import HAND_INSTANCE_ID, HandScene
from synthgen.scenes.common.pixel_labels import camera_labels
from synthgen.scenes.hands.attacks.plan import SOURCE_ATTACKS
from synthgen.scenes.hands.attacks.print_process import printed_textures
from synthgen.scenes.hands.keypoints import keypoint_labels

SOURCE_CACHE_SIZE = 32
MAX_PRINT_RASTER_PX = 2048
NIR_LUMINANCE = np.array([0.2126, 0.7152, 0.0722])


@dataclass
class SourceCapture:
    """A rendered victim capture and what an instrument needs from it."""

    image: np.ndarray  # (H, W, 3) uint8 display RGB
    nir: np.ndarray | None  # (H, W) uint8, when the source spec enables NIR
    mask: np.ndarray  # (H, W) bool: the hand
    keypoints_uv: np.ndarray  # (21, 2) photo coordinates: u right, v up, 0..1
    keypoints_depicted: np.ndarray  # (21,) bool: visible in the photo
    width_m: float  # the photo's width at the palm: its life size

    def used(self, from_nir: bool) -> np.ndarray:
        return self.nir if from_nir and self.nir is not None else self.image


def image_digest(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


def _rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    a = math.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(a) * k + (1 - math.cos(a)) * (k @ k)


class AttackScene:
    """Wraps a ``HandScene`` (same interface: apply, labels, begin_nir, end_nir, set_visible)."""

    def __init__(self, hands: HandScene, scratch: Path) -> None:
        self.hands = hands
        self.scene = hands.scene
        self.stage = hands.stage
        self.scratch = scratch
        self.print_sheet = PrintSheet(self.scene, HAND_INSTANCE_ID)
        self.screen = ScreenDevice(self.scene, HAND_INSTANCE_ID)
        self.silicone = build_silicone_material(hands.palm_image)
        self.sources: OrderedDict[str, SourceCapture] = OrderedDict()
        self.attack: str | None = None
        self.source: SourceCapture | None = None
        self.source_digest: str | None = None
        self.keypoints_world: np.ndarray | None = None
        self.frame = np.eye(4)
        self.render_s_in_apply = 0.0  # Cycles seconds of this apply()'s source capture (the worker counts them)

    def set_visible(self, visible: bool) -> None:
        self.hands.set_visible(visible)
        if not visible:
            self._hide_instruments()

    def _hide_instruments(self) -> None:
        self.print_sheet.object.hide_render = True
        self.screen.hide()

    def _set_hand_material(self, material: bpy.types.Material) -> None:
        for _, asset in self.hands.hands.values():
            asset.mesh_object.data.materials[0] = material

    def _apply_hands(self, spec: dict[str, Any]) -> None:
        """The live scene of ``spec`` with no instrument; the hand is the subject again (a holder was not)."""
        self._hide_instruments()
        self.hands.apply(spec)
        for _, asset in self.hands.hands.values():
            asset.mesh_object.pass_index = HAND_INSTANCE_ID

    def _hide_hand(self) -> None:
        for side, (_, asset) in self.hands.hands.items():
            asset.mesh_object.hide_render = True
            self.hands.sleeves[side].hide_render = True

    # -- the victim's source capture ------------------------------------------------------------------------
    def _source(self, spec: dict[str, Any]) -> SourceCapture:
        key = json.dumps(spec, sort_keys=True)
        if key in self.sources:
            self.sources.move_to_end(key)
            return self.sources[key]
        started = time.perf_counter()
        self._set_hand_material(self.hands.skin)
        apply_render_settings(self.scene, spec["render"])
        self._apply_hands(spec)
        bpy.context.view_layer.update()
        passes = render_to_arrays(self.scene, self.scratch)
        labels = self.hands.labels()
        camera = self.stage.camera_record()
        nir = None
        if spec["nir"]["enabled"]:
            saved = self.hands.begin_nir(spec)
            self.scene.cycles.samples = spec["nir"]["spp"]
            try:
                nir_rgb = render_to_arrays(self.scene, self.scratch)["image"]
            finally:
                self.hands.end_nir(spec, saved)
            nir = np.rint(nir_rgb.astype(np.float32) @ NIR_LUMINANCE).astype(np.uint8)
        self.render_s_in_apply += time.perf_counter() - started  # Cycles time, though spent inside apply()
        K, pose = camera_labels(camera)
        points, _, visible = keypoint_labels(np.array(labels["keypoints_world"]), K, pose, passes["depth"])
        height, width = passes["image"].shape[:2]
        # Depicted = visible in the photo and on the hand there (a cut-out keeps only the hand).
        mask = passes["object_index"] == HAND_INSTANCE_ID
        grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        cols = np.clip(np.floor(points[:, 0]).astype(int), 0, width - 1)
        rows = np.clip(np.floor(points[:, 1]).astype(int), 0, height - 1)
        visible &= grown[rows, cols]
        matrix = np.array(camera["matrix_world"])
        distance = float((np.array(labels["palm_center_world"]) - matrix[:3, 3]) @ -matrix[:3, 2])
        capture = SourceCapture(
            image=passes["image"],
            nir=nir,
            mask=mask,
            keypoints_uv=np.stack([points[:, 0] / width, 1.0 - points[:, 1] / height], axis=1),
            keypoints_depicted=visible,
            width_m=distance * camera["sensor_width_mm"] / camera["lens_mm"],
        )
        self.sources[key] = capture
        while len(self.sources) > SOURCE_CACHE_SIZE:
            self.sources.popitem(last=False)
        return capture

    # -- a sample -----------------------------------------------------------------------------------------
    def apply(self, spec: dict[str, Any]) -> None:
        self.render_s_in_apply = 0.0
        self.attack = spec.get("attack_type")
        params = spec.get("attack_params") or {}
        self.source = self._source(params["source"]) if self.attack in SOURCE_ATTACKS else None
        if self.source is not None:
            apply_render_settings(self.scene, spec["render"])
        self._apply_hands(spec)
        self._set_hand_material(self.silicone if self.attack == "silicone" else self.hands.skin)
        self.keypoints_world = None
        self.source_digest = None
        if self.attack == "silicone":
            apply_silicone(self.silicone, params)
        elif self.source is not None:
            self._hide_hand()
            self.frame = self._presentation_frame(params["tilt_deg"])
            photo = self.source.used(params.get("from_nir", False))
            self.source_digest = image_digest(photo)
            if self.attack == "screen":
                self._apply_screen(params, photo)
            else:
                self._apply_print(params, photo, cut=self.attack == "cutout")

    def _presentation_frame(self, tilt_deg: list[float]) -> np.ndarray:
        """Where the palm would be, facing out of the palm, y along the fingers, then tilted a little."""
        labels = self.hands.labels()
        keypoints = np.array(labels["keypoints_world"])
        z = np.array(labels["palm_normal_world"])
        y = keypoints[9] - keypoints[0]
        y = y - (y @ z) * z
        y /= np.linalg.norm(y)
        x = np.cross(y, z)
        rotation = _rotation(y, tilt_deg[1]) @ _rotation(x, tilt_deg[0]) @ np.stack([x, y, z], axis=1)
        frame = np.eye(4)
        frame[:3, :3] = rotation
        frame[:3, 3] = labels["palm_center_world"]
        return frame

    def _apply_print(self, params: dict[str, Any], photo: np.ndarray, cut: bool) -> None:
        assert self.source is not None
        width = self.source.width_m * params["scale"]
        height = width * photo.shape[0] / photo.shape[1]
        margin = 0.0 if cut else params["margin_m"]
        raster = int(np.clip(round(width / 0.0254 * params["dpi"]), 64, MAX_PRINT_RASTER_PX))
        margin_px = round(margin / width * raster)
        albedo, nir = printed_textures(photo, params, raster, margin_px, self.source.mask if cut else None)
        # The margins in pixels set the sheet's real size, so texture and mesh agree exactly.
        margin = margin_px * width / raster
        size = (width + 2 * margin, height + 2 * margin)
        self.print_sheet.apply(params, albedo, nir, size, self.frame)
        holder = params.get("holder")
        if holder and cut:
            # A cut-out is pinched at its lowest point (the forearm's end), not at a fixed place on the edge.
            rows = np.flatnonzero(self.source.mask.any(axis=1))
            if rows.size:
                lowest = self.source.mask[rows[-1]]
                u = (np.flatnonzero(lowest).mean() + 0.5) / lowest.size
                v = 1.0 - (rows[-1] + 1) / self.source.mask.shape[0]
                self._hold(holder, ((u - 0.5) * size[0], (v - 0.5) * size[1] + holder["inset_m"]))
        elif holder:
            self._hold(holder, ((holder["edge_position"] - 0.5) * size[0], -size[1] / 2 + holder["inset_m"]))
        uv = self.source.keypoints_uv
        sheet_uv = np.stack([(margin + uv[:, 0] * width) / size[0], (margin + uv[:, 1] * height) / size[1]], axis=1)
        self.keypoints_world = self.print_sheet.world_points(sheet_uv)

    def _hold(self, holder: dict[str, Any], grip_xy: tuple[float, float]) -> None:
        """The attacker's hand (the posed asset, now not the subject) pinches the instrument at ``grip_xy`` (the
        instrument's local frame) from below: fingers up along it, thumb on the shown side."""
        asset = self.hands.active
        assert asset is not None
        pose = holder["pose"]
        asset.set_pose({name: tuple(angles) for name, angles in pose["joints"].items()})
        asset.set_wrist(**pose["wrist"])
        set_matrix(asset.armature_object, np.eye(4))
        keypoints = asset.keypoints_world()  # in the hand frame: +Y fingers, palm -Z, thumb side -X (right)
        pinch = 0.5 * (keypoints[4] + keypoints[8])
        thumb_side = np.array([-1.0 if asset.side == "right" else 1.0, 0.0, 0.0])
        # Hand frame -> sheet frame: thumb side -> +z (towards the camera), fingers -> +y (up the sheet); the
        # rows are the hand-frame directions that become the sheet's x, y, z.
        to_sheet = np.stack([np.cross([0.0, 1.0, 0.0], thumb_side), [0.0, 1.0, 0.0], thumb_side])
        grip = np.array([grip_xy[0], grip_xy[1], 0.0])
        local = np.eye(4)
        local[:3, :3] = to_sheet
        local[:3, 3] = grip - to_sheet @ pinch
        set_matrix(asset.armature_object, self.frame @ local)
        asset.mesh_object.hide_render = False
        asset.mesh_object.pass_index = 0
        self.hands.sleeves[asset.side].hide_render = False

    def _apply_screen(self, params: dict[str, Any], photo: np.ndarray) -> None:
        display = photo.astype(np.float64) / 255.0
        if display.ndim == 2:
            display = np.repeat(display[..., None], 3, axis=-1)
        # The photo file holds display values; the panel's gamma turns them into light.
        self.screen.apply(params, display ** params["gamma"], self.frame)
        if params.get("holder"):
            holder = params["holder"]
            self._hold(
                holder, ((holder["edge_position"] - 0.5) * params["width"], holder["inset_m"] - params["height"] / 2)
            )
        self.keypoints_world = self.screen.world_points(self.source.keypoints_uv)

    # -- near infrared --------------------------------------------------------------------------------------
    def begin_nir(self, spec: dict[str, Any]) -> dict[str, Any]:
        saved = self.hands.begin_nir(spec)
        self._set_instrument_nir(True)
        return saved

    def end_nir(self, spec: dict[str, Any], saved: dict[str, Any]) -> None:
        self.hands.end_nir(spec, saved)
        self._set_instrument_nir(False)

    def _set_instrument_nir(self, nir: bool) -> None:
        self.print_sheet.set_nir(nir)
        self.screen.set_nir(nir)
        set_silicone_nir(self.silicone, nir)

    def labels(self) -> dict[str, Any]:
        if self.keypoints_world is None:
            return self.hands.labels()
        assert self.source is not None
        return {
            "instances": [{"instance_id": HAND_INSTANCE_ID}],
            "keypoints_world": self.keypoints_world.tolist(),
            "keypoints_depicted": self.source.keypoints_depicted.tolist(),
            "palm_center_world": self.frame[:3, 3].tolist(),
            "palm_normal_world": self.frame[:3, 2].tolist(),
            "attack_source_sha256": self.source_digest,
        }
