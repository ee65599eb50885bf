"""Print attack: a photo of the victim printed on matte or glossy paper, laser or inkjet, curled, maybe held."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.scenes.common.sampling import rounded_uniform
from synthgen.scenes.hands.attacks.attack_type import AttackType
from synthgen.scenes.hands.attacks.holder import sample_holder

if TYPE_CHECKING:
    from synthgen.scenes.hands.attacks.config import AttackSampling


def sample_print_params(rng: np.random.Generator, attacks: AttackSampling, cutout: bool) -> dict[str, Any]:
    p = attacks.print
    shift = rounded_uniform(rng, p.colour_shift)
    glossy = bool(rng.uniform() < p.glossy_share)
    return {
        "paper": "glossy" if glossy else "matte",
        "method": "laser" if rng.uniform() < p.laser_share else "inkjet",
        "dpi": rounded_uniform(rng, p.dpi),
        "colour_shift": {
            "gain": [round(float(g), 4) for g in np.clip(1.0 + rng.normal(0.0, shift, 3), 0.7, 1.3)],
            "saturation": round(float(1.0 - rng.uniform(0.0, 2.0 * shift)), 4),
            "gamma": round(float(np.clip(1.0 + rng.normal(0.0, shift), 0.75, 1.3)), 4),
            "black_level": rounded_uniform(rng, (0.02, 0.08)),
        },
        "paper_tint": [round(float(t), 4) for t in 1.0 - rng.uniform(0.0, 0.06, 3)],
        "roughness": rounded_uniform(rng, (0.08, 0.2) if glossy else (0.55, 0.85)),
        "scale": rounded_uniform(rng, p.scale),
        # Cut-outs are stiff card, held flatter than a loose sheet.
        "curvature_per_m": rounded_uniform(rng, p.curl)
        * (0.4 if cutout else 1.0)
        * (1.0 if rng.uniform() < 0.5 else -1.0),
        "bend_axis_deg": rounded_uniform(rng, (0.0, 180.0)),
        "corner_lift_m": [rounded_uniform(rng, (0.0, p.corner_curl[1])) * (0.3 if cutout else 1.0) for _ in range(4)],
        "margin_m": rounded_uniform(rng, (0.004, 0.02)),
        "dither_seed": int(rng.integers(2**31)),
        "from_nir": bool(rng.uniform() < p.nir_source_share),
        # The attacker's fingers pinch the sheet's bottom edge (a cut-out: its lowest point).
        "holder": sample_holder(rng) if rng.uniform() < p.held_share else None,
    }


def _sample(
    rng: np.random.Generator, attacks: AttackSampling, spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    return sample_print_params(rng, attacks, cutout=False), {}


PRINT = AttackType(name="print", instance_class="print", shows_source=True, sample_params=_sample)
