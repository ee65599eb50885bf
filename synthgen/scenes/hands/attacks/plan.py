"""Attack planning: which renders are attacks, of which type, with which instrument parameters (pure, seeded).

An attack sample is a live sample's scene (lights, camera, backdrop: the same draws) with an instrument in place
of the hand. The attack draws come from their own stream, (job seed, SCENE, render index, ATTACK_KEY), so
turning attacks on never changes a live sample. Print, screen and cut-out attacks show a *source capture*: a
deterministic live palm capture of the victim identity, seeded from (job seed, identity), stored in full in
``attack_params["source"]`` so the attack reproduces from its spec alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.config import HandsScene, JobConfig
from synthgen.scenes.hands.attacks.config import ATTACK_TYPES, AttackSampling
from synthgen.scenes.hands.pose import sample_hand_pose
from synthgen.seeding import Stream, derive_int_seed, derive_rng

ATTACK_KEY = 2  # render-index sub-key of the attack draws (1 is Cycles' seed)
SOURCE_KEY = 3  # identity sub-key of the victim's source capture
SOURCE_ATTACKS = ("print", "screen", "cutout")  # attacks that show an image of the victim

# Device outlines (metres): body width, height, bezel at the sides / at the ends.
SCREEN_MODELS: dict[str, dict[str, float]] = {
    "phone": {"width": 0.072, "height": 0.152, "side_bezel": 0.003, "end_bezel": 0.009, "thickness": 0.008},
    "tablet": {"width": 0.17, "height": 0.245, "side_bezel": 0.009, "end_bezel": 0.012, "thickness": 0.007},
}


def _u(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return round(float(rng.uniform(bounds[0], bounds[1])), 5)


def _weighted(rng: np.random.Generator, weights: dict[str, float], order: tuple[str, ...]) -> str:
    """A key drawn by weight; the draw depends on the fixed ``order``, not on the mapping's key order."""
    names = [n for n in order if weights.get(n, 0.0) > 0]
    w = np.array([weights[n] for n in names])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def attack_type_of(job_seed: int, attacks: AttackSampling, render_index: int) -> tuple[str | None, np.random.Generator]:
    """(attack type or None for a live sample, the generator for the rest of the attack draws)."""
    rng = derive_rng(job_seed, Stream.SCENE, render_index, ATTACK_KEY)
    if rng.uniform() < attacks.live_share:
        return None, rng
    return _weighted(rng, attacks.types, ATTACK_TYPES), rng


def source_capture_spec(config: JobConfig, identity_id: int, nir: bool) -> dict[str, Any]:
    """A live, palm-facing capture of ``identity_id``: what an attacker photographed. Deterministic per identity."""
    from synthgen.pipeline.specs import SPEC_SCHEMA_VERSION, render_settings_spec
    from synthgen.scenes.hands.sampler import sample_hands_spec

    scene = config.scene
    assert isinstance(scene, HandsScene)
    attacks = scene.attacks
    # The attacker's photo: an open palm nearly square to the camera, upright, fairly tight.
    capture = scene.model_copy(
        update={
            "pose_families": {"open_palm": 1.0},
            "camera": scene.camera.model_copy(
                update={"mode": "palm", "tilt_deg": (0.0, 6.0), "roll_deg": (-4.0, 4.0), "fill": (0.75, 0.85)}
            ),
            "nir": scene.nir.model_copy(update={"enabled": nir}),
        }
    )
    rng = derive_rng(config.seed, Stream.IDENTITY, identity_id, SOURCE_KEY)
    # A render index of its own (negative: never a job's render) keys the identity's palm-map variation.
    spec: dict[str, Any] = {
        "spec_version": SPEC_SCHEMA_VERSION,
        "job_seed": config.seed,
        "render_index": -1 - identity_id,
        "render": render_settings_spec(config)
        | {
            "resolution": [attacks.source_resolution, attacks.source_resolution],
            "spp": attacks.source_spp,
            "cycles_seed": derive_int_seed(config.seed, Stream.IDENTITY, identity_id, SOURCE_KEY) & 0x7FFFFFFF,
        },
    }
    spec |= sample_hands_spec(config.seed, capture, identity_id * capture.samples_per_identity, rng, attacks.source_spp)
    spec["render_index"] = -1 - identity_id
    return spec


def _print_params(rng: np.random.Generator, attacks: AttackSampling, cutout: bool) -> dict[str, Any]:
    p = attacks.print
    shift = _u(rng, p.colour_shift)
    glossy = bool(rng.uniform() < p.glossy_share)
    return {
        "paper": "glossy" if glossy else "matte",
        "method": "laser" if rng.uniform() < p.laser_share else "inkjet",
        "dpi": _u(rng, p.dpi),
        "colour_shift": {
            "gain": [round(float(g), 4) for g in np.clip(1.0 + rng.normal(0.0, shift, 3), 0.7, 1.3)],
            "saturation": round(float(1.0 - rng.uniform(0.0, 2.0 * shift)), 4),
            "gamma": round(float(np.clip(1.0 + rng.normal(0.0, shift), 0.75, 1.3)), 4),
            "black_level": _u(rng, (0.02, 0.08)),
        },
        "paper_tint": [round(float(t), 4) for t in 1.0 - rng.uniform(0.0, 0.06, 3)],
        "roughness": _u(rng, (0.08, 0.2) if glossy else (0.55, 0.85)),
        "scale": _u(rng, p.scale),
        # Cut-outs are stiff card, held flatter than a loose sheet.
        "curvature_per_m": _u(rng, p.curl) * (0.4 if cutout else 1.0) * (1.0 if rng.uniform() < 0.5 else -1.0),
        "bend_axis_deg": _u(rng, (0.0, 180.0)),
        "corner_lift_m": [_u(rng, (0.0, p.corner_curl[1])) * (0.3 if cutout else 1.0) for _ in range(4)],
        "margin_m": _u(rng, (0.004, 0.02)),
        "dither_seed": int(rng.integers(2**31)),
        "from_nir": bool(rng.uniform() < p.nir_source_share),
        # The attacker's fingers pinch the sheet's bottom edge (a cut-out: its lowest point).
        "holder": _holder(rng) if rng.uniform() < p.held_share else None,
    }


def _screen_params(rng: np.random.Generator, attacks: AttackSampling) -> dict[str, Any]:
    s = attacks.screen
    model = _weighted(rng, s.models, tuple(SCREEN_MODELS))
    return {
        "model": model,
        **SCREEN_MODELS[model],
        "pixel_pitch_mm": _u(rng, s.pixel_pitch_mm),
        "brightness": _u(rng, s.brightness),
        "gamma": _u(rng, s.gamma),
        "glass_roughness": _u(rng, s.glass_roughness),
        "body_colour": [_u(rng, (0.01, 0.25))] * 3,
        "fit": _u(rng, (0.85, 1.0)),  # share of the screen the photo fills (zoom)
        "holder": _holder(rng) if rng.uniform() < s.held_share else None,
    }


def _silicone_params(rng: np.random.Generator, attacks: AttackSampling, identity: dict[str, Any]) -> dict[str, Any]:
    s = attacks.silicone
    skin = identity["skin"]
    # The caster mixes one pigment for the whole hand: roughly the palm colour, a little off.
    # Pigmented silicone lacks the skin's deep red scattering: a denser, more saturated pigment looks alike.
    albedo = np.array(skin["palm_albedo_linear"]) ** 1.25 * (1.0 + rng.normal(0.0, s.albedo_jitter, 3))
    sss = _u(rng, s.sss_scale)
    return {
        "albedo_linear": [round(float(a), 4) for a in np.clip(albedo, 0.02, 0.9)],
        "subsurface_radius_mm": [round(float(r) * sss, 4) for r in skin["subsurface_radius_mm"]],
        "subsurface_scale": sss,
        "roughness": _u(rng, s.roughness),
        "coat": _u(rng, s.coat),
        "bubbles": _u(rng, s.bubbles),
        "seam_height_mm": _u(rng, (0.05, 0.3)),
        "nir_albedo": _u(rng, s.nir_albedo),
        "noise_seed": _u(rng, (0.0, 100.0)),
    }


def _holder(rng: np.random.Generator) -> dict[str, Any]:
    """Where and how the attacker's thumb and index finger pinch the instrument's bottom edge."""
    pose = sample_hand_pose(rng, "pinch")
    pose["wrist"] = {name: round(a * 0.3, 3) for name, a in pose["wrist"].items()}  # a straight wrist
    return {"edge_position": _u(rng, (0.25, 0.75)), "inset_m": _u(rng, (0.006, 0.015)), "pose": pose}


def _rigid_pose(rng: np.random.Generator, stiffness: float) -> dict[str, Any]:
    """A cast replica barely bends: an open palm with its joint angles scaled down."""
    pose = sample_hand_pose(rng, "open_palm")
    pose["joints"] = {name: [round(a * stiffness, 3) for a in angles] for name, angles in pose["joints"].items()}
    pose["wrist"] = {name: round(a * stiffness, 3) for name, a in pose["wrist"].items()}
    pose["params"] = {**pose["params"], "stiffness": stiffness}
    return pose


def with_attack(config: JobConfig, spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a live hands spec) with its attack fields: ``attack_type`` None for live samples."""
    scene = config.scene
    assert isinstance(scene, HandsScene)
    attack_type, rng = attack_type_of(config.seed, scene.attacks, spec["render_index"])
    if attack_type is None:
        return spec | {"is_live": True, "attack_type": None, "attack_params": None}
    attacks = scene.attacks
    if attack_type in ("print", "cutout"):
        params = _print_params(rng, attacks, cutout=attack_type == "cutout")
    elif attack_type == "screen":
        params = _screen_params(rng, attacks)
    else:
        params = _silicone_params(rng, attacks, spec["identity"])
    spec = dict(spec)
    if attack_type == "silicone":
        spec["hand"] = {**spec["hand"], "pose": _rigid_pose(rng, attacks.silicone.finger_stiffness)}
    if attack_type in SOURCE_ATTACKS:
        params["source"] = source_capture_spec(config, spec["identity_id"], nir=bool(params.get("from_nir")))
        params["tilt_deg"] = [round(float(a), 3) for a in rng.normal(0.0, 6.0, 2)]  # held not quite square
    return spec | {"is_live": False, "attack_type": attack_type, "attack_params": params}
