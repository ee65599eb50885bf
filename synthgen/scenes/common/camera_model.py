"""Sampling of a render's camera and sensor model (``spec["camera_model"]``): pure, seeded, every kind alike.

Every parameter is drawn, in a fixed order, whether its effect is enabled or not, so switching one effect off
leaves every other draw as it was; a disabled effect is stored as null. The draws come from their own generator
(``synthgen.seeding``: the SCENE stream's ``CAMERA_MODEL_KEY`` cell), so the scene's own draws are unchanged.

Where each part is applied: metering, depth of field and motion blur in the render worker
(``blender_scenes.common.render_setup``); lens distortion and the sensors after the render, to images and labels
alike (``synthgen.pipeline.camera_post``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.common.camera_model_config import CameraModelSettings
from synthgen.scenes.common.sampling import uniform

# Scene kinds whose subject may move during the exposure (a hand presented to a scanner). A products scene's hand
# and the product it holds would have to move together: its renders stay sharp.
MOVING_SUBJECT_KINDS = ("hands",)


def _velocity(rng: np.random.Generator, settings: Any) -> list[float]:
    """Camera-frame (OpenCV axes: x right, y down, z forward) velocity: towards the camera plus a lateral part."""
    speed = uniform(rng, settings.speed_mps)
    lateral = uniform(rng, settings.lateral_share)
    heading = uniform(rng, (0.0, 2.0 * math.pi))
    axial = math.sqrt(max(0.0, 1.0 - lateral * lateral))
    direction = np.array([lateral * math.cos(heading), lateral * math.sin(heading), -axial])
    return (speed * direction).tolist()


def sample_camera_model(settings: CameraModelSettings, rng: np.random.Generator, scene_type: str) -> dict[str, Any]:
    m, blur, dof, lens, rgb, nir = (
        settings.metering, settings.motion_blur, settings.depth_of_field, settings.lens, settings.rgb_sensor,
        settings.nir_sensor,
    )  # fmt: skip
    metering = {
        "target_grey": m.target_grey, "subject_weight": m.subject_weight, "centre_sigma": m.centre_sigma,
        "max_ev": m.max_ev,
    }  # fmt: skip
    motion = {"velocity_mps": _velocity(rng, blur), "shutter_s": uniform(rng, blur.shutter_s)}
    focus = {"f_number": uniform(rng, dof.f_number), "focus_error": uniform(rng, dof.focus_error)}
    distortion = {name: uniform(rng, getattr(lens, name)) for name in ("k1", "k2", "k3", "p1", "p2")}
    wb_red, wb_blue = uniform(rng, rgb.wb_error_stops), uniform(rng, rgb.wb_error_stops)
    rgb_sensor = {
        "shot_noise": uniform(rng, rgb.shot_noise),
        "read_noise": uniform(rng, rgb.read_noise),
        "wb_gains": [2.0**wb_red, 1.0, 2.0**wb_blue],
    }
    nir_sensor = {
        "band_nm": int(nir.bands_nm[int(rng.integers(len(nir.bands_nm)))]),
        "vignetting": uniform(rng, nir.vignetting),
        "hotspot": uniform(rng, nir.hotspot),
        "hotspot_offset": rng.uniform(-0.08, 0.08, size=2).tolist(),
        "hotspot_sigma": uniform(rng, (0.03, 0.07)),
        "gain_stops": uniform(rng, nir.gain_stops),
        "shot_noise": uniform(rng, nir.shot_noise),
        "read_noise": uniform(rng, nir.read_noise),
    }
    noise_seed = int(rng.integers(2**31))
    return {
        "metering": metering if m.enabled else None,
        "motion_blur": motion if blur.enabled and scene_type in MOVING_SUBJECT_KINDS else None,
        "depth_of_field": focus if dof.enabled else None,
        "lens": distortion if lens.enabled else None,
        "rgb_sensor": rgb_sensor if rgb.enabled else None,
        "nir_sensor": nir_sensor if nir.enabled else None,
        "noise_seed": noise_seed,
    }
