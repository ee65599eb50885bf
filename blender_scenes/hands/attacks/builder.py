"""The hands scene with presentation attacks: the live scene (same lights, camera, backdrop), with the hand replaced
by a printed photo, a screen, a paper cut-out or given a silicone material.

Print, screen and cut-out show the victim's *source capture* (``attack_params["source"]``, a live palm spec),
rendered here by the same ``HandBuilder`` before the attack sample and cached per source spec (only a speed-up:
the spec is deterministic). The instrument is placed where the live palm would be, facing the camera like a
presented palm, with the photo upright along the hand's finger direction; the depicted keypoints are the
source capture's keypoints carried through the instrument's photo-to-surface mapping.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy
import cv2
import numpy as np

from blender_scenes.builder import SceneBuilder
from blender_scenes.common.render_setup import (
    apply_render_settings,
    capture_nir,
    render_to_arrays,
    start_fresh_renders,
)
from blender_scenes.common.stage import Stage, set_matrix
from blender_scenes.hands.attacks.instrument import Instrument
from blender_scenes.hands.attacks.registry import INSTRUMENTS
from blender_scenes.hands.builder import HAND_INSTANCE_ID, HandBuilder
from blender_scenes.registry import load_object
from synthgen.scenes.common.pixel_labels import camera_labels
from synthgen.scenes.hands.attacks.framing import pinch_grip, presentation_frame
from synthgen.scenes.hands.attacks.registry import attack_type
from synthgen.scenes.hands.keypoints import keypoint_labels

SOURCE_CACHE_SIZE = 32


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


class AttackBuilder(SceneBuilder):
    """The hands scene's builder: a ``HandBuilder`` for live samples, with an instrument per attack type."""

    def __init__(self, scene: bpy.types.Scene, stage: Stage, scratch: Path) -> None:
        self.hands = HandBuilder(scene, stage, scratch)
        self.scene = scene
        self.stage = stage
        self.scratch = scratch
        self.instruments: dict[str, Instrument] = {name: load_object(path)(self) for name, path in INSTRUMENTS.items()}
        self.sources: OrderedDict[str, SourceCapture] = OrderedDict()
        self.attack: str | None = None
        self.source: SourceCapture | None = None
        self.source_digest: str | None = None
        self.keypoints_world: np.ndarray | None = None
        self.frame = np.eye(4)
        self.render_s_in_apply = 0.0

    def set_visible(self, visible: bool) -> None:
        self.hands.set_visible(visible)
        if not visible:
            self._hide_instruments()

    def _hide_instruments(self) -> None:
        for instrument in self.instruments.values():
            instrument.hide()

    def set_hand_material(self, material: bpy.types.Material) -> None:
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
        self.set_hand_material(self.hands.skin)
        apply_render_settings(self.scene, spec["render"])
        self._apply_hands(spec)
        bpy.context.view_layer.update()
        start_fresh_renders(self.scene, spec["render"].get("persistent_data", False))
        passes = render_to_arrays(self.scene, self.scratch)
        labels = self.hands.labels()
        camera = self.stage.camera_record()
        nir = capture_nir(self.scene, self.hands, spec, self.scratch) if spec["nir"]["enabled"] else None
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
        instrument = self.instruments[self.attack] if self.attack else None
        shows_source = self.attack is not None and attack_type(self.attack).shows_source
        self.source = self._source(params["source"]) if shows_source else None
        if self.source is not None:
            apply_render_settings(self.scene, spec["render"])
        self._apply_hands(spec)
        self.set_hand_material(self.hands.skin)
        self.keypoints_world = None
        self.source_digest = None
        if instrument is None:
            return
        photo = None
        if self.source is not None:
            self._hide_hand()
            labels = self.hands.labels()
            self.frame = presentation_frame(
                np.array(labels["keypoints_world"]), labels["palm_normal_world"], labels["palm_center_world"],
                params["tilt_deg"],
            )  # fmt: skip
            photo = self.source.used(params.get("from_nir", False))
            self.source_digest = image_digest(photo)
        self.keypoints_world = instrument.present(params, photo)

    def hold(self, holder: dict[str, Any], grip_xy: tuple[float, float]) -> None:
        """The attacker's hand (the posed asset, now not the subject) pinches the instrument at ``grip_xy`` (the
        instrument's local frame) from below: fingers up along it, thumb on the shown side."""
        asset = self.hands.active
        assert asset is not None
        pose = holder["pose"]
        asset.set_pose({name: tuple(angles) for name, angles in pose["joints"].items()})
        asset.set_wrist(**pose["wrist"])
        set_matrix(asset.armature_object, np.eye(4))
        local = pinch_grip(asset.keypoints_world(), asset.side, grip_xy)  # keypoints in the hand frame
        set_matrix(asset.armature_object, self.frame @ local)
        asset.mesh_object.hide_render = False
        asset.mesh_object.pass_index = 0
        self.hands.sleeves[asset.side].hide_render = False

    # -- near infrared --------------------------------------------------------------------------------------
    def begin_nir(self, spec: dict[str, Any]) -> dict[str, Any]:
        saved = self.hands.begin_nir(spec)
        self._set_instrument_nir(True)
        return saved

    def end_nir(self, spec: dict[str, Any], saved: dict[str, Any]) -> None:
        self.hands.end_nir(spec, saved)
        self._set_instrument_nir(False)

    def _set_instrument_nir(self, nir: bool) -> None:
        for instrument in self.instruments.values():
            instrument.set_nir(nir)

    def focus_points(self) -> list[list[float]] | None:
        """Live: the hand's keypoints; an attack: where its instrument depicts them."""
        if self.keypoints_world is None:
            return self.hands.focus_points()
        return self.keypoints_world.tolist()

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
