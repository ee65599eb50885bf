"""Attack planning: which renders are attacks, of which type, with which instrument parameters (pure, seeded).

An attack sample is a live sample's scene (lights, camera, backdrop: the same draws) with an instrument in place
of the hand. The attack draws come from their own stream, (job seed, ATTACK, render index), so
turning attacks on never changes a live sample. Print, screen and cut-out attacks show a *source capture*: a
deterministic live palm capture of the victim identity, seeded from (job seed, SOURCE, identity), stored in full in
``attack_params["source"]`` so the attack reproduces from its spec alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.scenes.common.spec_header import spec_header
from synthgen.scenes.hands.attacks.config import AttackSampling
from synthgen.scenes.hands.attacks.registry import ATTACK_TYPE_NAMES, attack_type
from synthgen.scenes.hands.config import HandsScene
from synthgen.scenes.hands.sampler import sample_hands_spec
from synthgen.seeding import CYCLES_KEY, Stream, derive_int_seed, derive_rng

if TYPE_CHECKING:
    from synthgen.config import JobConfig


_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def attack_type_of(job_seed: int, attacks: AttackSampling, render_index: int) -> tuple[str | None, np.random.Generator]:
    """(attack type or None for a live sample, the generator for the rest of the attack draws).

    Live or attack, and which type, come from a seeded golden-ratio sequence over render indices rather than
    independent draws: its points fill [0, 1) evenly over any run of consecutive renders, so a 6-render preview
    of a job with a third attacks holds about two attacks of different types, and long runs keep the exact
    shares. A point below ``live_share`` is live; above it, its place in the attack band picks the type by
    weight."""
    offset = derive_rng(job_seed, Stream.ATTACK_ORDER).uniform()
    point = (offset + render_index * _GOLDEN) % 1.0
    rng = derive_rng(job_seed, Stream.ATTACK, render_index)
    if point < attacks.live_share:
        return None, rng
    return _by_weight((point - attacks.live_share) / (1.0 - attacks.live_share), attacks.types), rng


def _by_weight(position: float, weights: dict[str, float]) -> str:
    """The type whose share of [0, 1) (in the fixed registry order) holds ``position``."""
    names = [n for n in ATTACK_TYPE_NAMES if weights.get(n, 0.0) > 0]
    edges = np.cumsum([weights[n] for n in names]) / sum(weights[n] for n in names)
    return names[min(int(np.searchsorted(edges, position, side="right")), len(names) - 1)]


def source_capture_spec(config: JobConfig, identity_id: int, nir: bool) -> dict[str, Any]:
    """A live, palm-facing capture of ``identity_id``: what an attacker photographed. Deterministic per identity."""
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
    rng = derive_rng(config.seed, Stream.SOURCE, identity_id)
    # A render index of its own (negative: never a job's render) keys the identity's palm-map variation.
    cycles_seed = derive_int_seed(config.seed, Stream.SOURCE, identity_id, CYCLES_KEY)
    size = attacks.source_resolution
    spec = spec_header(config, -1 - identity_id, cycles_seed, resolution=[size, size], spp=attacks.source_spp)
    spec |= sample_hands_spec(config.seed, capture, identity_id, rng, attacks.source_spp)
    spec["render_index"] = -1 - identity_id
    return spec


def with_attack(config: JobConfig, spec: dict[str, Any], render_index: int) -> dict[str, Any]:
    """``spec`` (a live hands spec of render ``render_index``) with its attack fields: ``attack_type`` None for
    live samples."""
    scene = config.scene
    assert isinstance(scene, HandsScene)
    name, rng = attack_type_of(config.seed, scene.attacks, render_index)
    if name is None:
        return spec | {"is_live": True, "attack_type": None, "attack_params": None}
    attack = attack_type(name)
    params, replaced = attack.sample_params(rng, scene.attacks, spec)
    spec = spec | replaced
    if attack.shows_source:
        params["source"] = source_capture_spec(config, spec["identity_id"], nir=bool(params.get("from_nir")))
        params["tilt_deg"] = [round(float(a), 3) for a in rng.normal(0.0, 6.0, 2)]  # held not quite square
    return spec | {"is_live": False, "attack_type": name, "attack_params": params}
