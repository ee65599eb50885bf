"""Cut-out attack: the victim's printed photo cut along the hand's outline, on stiff card (print parameters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.scenes.hands.attacks.attack_type import AttackType
from synthgen.scenes.hands.attacks.print_attack import sample_print_params

if TYPE_CHECKING:
    from synthgen.scenes.hands.attacks.config import AttackSampling


def _sample(
    rng: np.random.Generator, attacks: AttackSampling, spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    return sample_print_params(rng, attacks, cutout=True), {}


CUTOUT = AttackType(name="cutout", instance_class="cutout", shows_source=True, sample_params=_sample)
