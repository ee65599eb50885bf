"""Silicone attack: a cast replica of the victim's hand, pigmented roughly like the palm, nearly rigid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.scenes.common.sampling import rounded_uniform
from synthgen.scenes.hands.attacks.attack_type import AttackType
from synthgen.scenes.hands.pose import sample_hand_pose

if TYPE_CHECKING:
    from synthgen.scenes.hands.attacks.config import AttackSampling


def _silicone_params(rng: np.random.Generator, attacks: AttackSampling, identity: dict[str, Any]) -> dict[str, Any]:
    s = attacks.silicone
    skin = identity["skin"]
    # The caster mixes one pigment for the whole hand: roughly the palm colour, a little off.
    # Pigmented silicone lacks the skin's deep red scattering: a denser, more saturated pigment looks alike.
    albedo = np.array(skin["palm_albedo_linear"]) ** 1.25 * (1.0 + rng.normal(0.0, s.albedo_jitter, 3))
    sss = rounded_uniform(rng, s.sss_scale)
    return {
        "albedo_linear": [round(float(a), 4) for a in np.clip(albedo, 0.02, 0.9)],
        "subsurface_radius_mm": [round(float(r) * sss, 4) for r in skin["subsurface_radius_mm"]],
        "subsurface_scale": sss,
        "roughness": rounded_uniform(rng, s.roughness),
        "coat": rounded_uniform(rng, s.coat),
        "bubbles": rounded_uniform(rng, s.bubbles),
        "seam_height_mm": rounded_uniform(rng, (0.05, 0.3)),
        "nir_albedo": rounded_uniform(rng, s.nir_albedo),
        "noise_seed": rounded_uniform(rng, (0.0, 100.0)),
    }


def _rigid_pose(rng: np.random.Generator, stiffness: float) -> dict[str, Any]:
    """A cast replica barely bends: an open palm with its joint angles scaled down."""
    pose = sample_hand_pose(rng, "open_palm")
    pose["joints"] = {name: [round(a * stiffness, 3) for a in angles] for name, angles in pose["joints"].items()}
    pose["wrist"] = {name: round(a * stiffness, 3) for name, a in pose["wrist"].items()}
    pose["params"] = {**pose["params"], "stiffness": stiffness}
    return pose


def _sample(
    rng: np.random.Generator, attacks: AttackSampling, spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    params = _silicone_params(rng, attacks, spec["identity"])
    hand = {**spec["hand"], "pose": _rigid_pose(rng, attacks.silicone.finger_stiffness)}
    return params, {"hand": hand}


SILICONE = AttackType(name="silicone", instance_class="silicone_hand", shows_source=False, sample_params=_sample)
