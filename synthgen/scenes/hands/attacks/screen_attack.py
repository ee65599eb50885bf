"""Screen attack: a phone or tablet showing the victim's photo, maybe held by the attacker."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.scenes.common.sampling import rounded_uniform, weighted_choice
from synthgen.scenes.hands.attacks.attack_type import AttackType
from synthgen.scenes.hands.attacks.holder import sample_holder

if TYPE_CHECKING:
    from synthgen.scenes.hands.attacks.config import AttackSampling

# Device outlines (metres): body width, height, bezel at the sides / at the ends.
SCREEN_MODELS: dict[str, dict[str, float]] = {
    "phone": {"width": 0.072, "height": 0.152, "side_bezel": 0.003, "end_bezel": 0.009, "thickness": 0.008},
    "tablet": {"width": 0.17, "height": 0.245, "side_bezel": 0.009, "end_bezel": 0.012, "thickness": 0.007},
}

CORNER_SEGMENTS = 6  # segments per rounded corner of a device outline


def rounded_slab(width: float, height: float, thickness: float, radius: float) -> tuple[list, list]:
    """Vertices and faces of a rounded-rectangle slab centred on the origin, top face at z = 0."""
    outline = []
    corners = ((1, 1), (-1, 1), (-1, -1), (1, -1))
    for index, (sx, sy) in enumerate(corners):
        cx, cy = sx * (width / 2 - radius), sy * (height / 2 - radius)
        for step in range(CORNER_SEGMENTS + 1):
            angle = math.pi / 2 * (index + step / CORNER_SEGMENTS)
            outline.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    n = len(outline)
    vertices = [(x, y, 0.0) for x, y in outline] + [(x, y, -thickness) for x, y in outline]
    # Top counter-clockwise seen from +z (normal up), bottom reversed, sides facing outwards.
    faces = [tuple(range(n)), tuple(range(2 * n - 1, n - 1, -1))]
    faces += [(i, n + i, n + (i + 1) % n, (i + 1) % n) for i in range(n)]
    return vertices, faces


def _screen_params(rng: np.random.Generator, attacks: AttackSampling) -> dict[str, Any]:
    s = attacks.screen
    model = weighted_choice(rng, s.models, tuple(SCREEN_MODELS))
    return {
        "model": model,
        **SCREEN_MODELS[model],
        "pixel_pitch_mm": rounded_uniform(rng, s.pixel_pitch_mm),
        "brightness": rounded_uniform(rng, s.brightness),
        "gamma": rounded_uniform(rng, s.gamma),
        "glass_roughness": rounded_uniform(rng, s.glass_roughness),
        "body_colour": [rounded_uniform(rng, (0.01, 0.25))] * 3,
        "fit": rounded_uniform(rng, (0.85, 1.0)),  # share of the screen the photo fills (zoom)
        "holder": sample_holder(rng) if rng.uniform() < s.held_share else None,
    }


def _sample(
    rng: np.random.Generator, attacks: AttackSampling, spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    return _screen_params(rng, attacks), {}


SCREEN = AttackType(name="screen", instance_class="screen", shows_source=True, sample_params=_sample)
