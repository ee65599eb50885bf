"""The hands scene: a seeded identity's hand, posed from a pose family, seen by a palm scanner or a camera."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.common.lighting import sample_lighting
from synthgen.scenes.common.sampling import uniform
from synthgen.scenes.common.surfaces import sample_surface
from synthgen.scenes.hands.accessories import sample_accessories, sample_habits
from synthgen.scenes.hands.config import HandsScene
from synthgen.scenes.hands.identity import sample_identity, sample_variation
from synthgen.scenes.hands.pose import sample_family, sample_hand_pose


def _unit_vector(rng: np.random.Generator) -> list[float]:
    vector = rng.normal(size=3)
    return (vector / np.linalg.norm(vector)).tolist()


# The forearm runs along -Y of the hand frame: a camera within 45 degrees of it would sit inside the arm (or see
# the hand through it), which rendered black frames.
_FOREARM_CONE_COS = math.cos(math.radians(45.0))


def _view_direction(rng: np.random.Generator) -> list[float]:
    """A uniformly random direction in the hand frame outside the cone around the forearm."""
    while True:
        direction = _unit_vector(rng)
        if direction[1] > -_FOREARM_CONE_COS:
            return direction


def sample_hands_spec(
    job_seed: int, scene: HandsScene, identity_id: int, rng: np.random.Generator, spp: int
) -> dict[str, Any]:
    """A live hand of identity ``identity_id`` (which render shows which identity: ``identity_order``)."""
    identity = sample_identity(job_seed, identity_id)
    variation = sample_variation(identity, rng)
    family = sample_family(rng, scene.pose_families)
    pose = sample_hand_pose(rng, family)
    cam = scene.camera
    if cam.mode == "palm":
        # Palm up (the hand frame's palm faces -Z; turning it about Y by 180 degrees faces it up), any heading.
        rotation = [0.0, 180.0, uniform(rng, (0.0, 360.0))]
        view_dir_hand = [0.0, 0.0, -1.0]
    else:
        rotation = [uniform(rng, (-60.0, 60.0)), uniform(rng, (-180.0, 180.0)), uniform(rng, (0.0, 360.0))]
        view_dir_hand = _view_direction(rng)
    camera = {
        "mode": cam.mode,
        "view_dir_hand": view_dir_hand,
        "azimuth_deg": uniform(rng, (0.0, 360.0)),
        "tilt_deg": uniform(rng, cam.tilt_deg),
        "fill": uniform(rng, cam.fill),
        "focal_mm": uniform(rng, cam.focal_mm),
        "sensor_mm": cam.sensor_mm,
        "roll_deg": uniform(rng, cam.roll_deg),
        "target_offset_m": rng.normal(0.0, 0.008, size=3).tolist(),
        "min_distance_m": cam.min_distance_m,
    }
    if rng.uniform() < scene.world_only_share:
        background: dict[str, Any] = {"type": "world"}
    else:
        surface = scene.backdrops[int(rng.integers(len(scene.backdrops)))]
        background = {
            "type": "backdrop",
            "distance_m": uniform(rng, scene.backdrop_distance_m),
            "surface": sample_surface(rng, surface),
        }
    nir = scene.nir
    spec = {
        "kind": "hand",
        "scene_type": "hands",
        "is_live": True,
        "split_group": f"identity:{identity_id}",
        "identity_id": identity_id,
        "identity": identity,
        "variation": variation,
        "hand": {"side": identity["handedness"], "pose": pose, "rotation_deg": rotation},
        "camera": camera,
        "background": background,
        "sleeve": sample_surface(rng, "fabric"),
        "lighting": sample_lighting(rng, scene.lights, np.zeros(3)),
        "nir": {
            "enabled": nir.enabled,
            "spp": max(1, round(spp * nir.spp_share)),
            "power_w_at_1m": uniform(rng, nir.power_w_at_1m),
            "ambient": uniform(rng, nir.ambient),
            "led_offset_m": rng.uniform(-0.02, 0.02, size=2).tolist(),
            "led_size_m": uniform(rng, (0.01, 0.04)),
        },
    }
    camera["exposure_ev"] = uniform(rng, cam.exposure_ev)  # drawn last: every earlier draw stays as it was
    if scene.accessories.enabled:  # after the exposure: turning accessories off leaves every other draw as it was
        habits = sample_habits(job_seed, identity_id, scene.accessories)
        spec["accessories"] = sample_accessories(habits, rng, scene.accessories)
    return spec
