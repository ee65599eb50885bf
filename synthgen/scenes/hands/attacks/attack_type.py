"""What an attack type declares: its instance class, whether it shows a capture of the victim, its draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from synthgen.scenes.hands.attacks.config import AttackSampling

# (rng, attack config, the live spec) -> (the instrument's parameters, spec fields the attack replaces)
ParamSampler = Callable[[np.random.Generator, "AttackSampling", dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]


@dataclass(frozen=True)
class AttackType:
    name: str  # attack_type in specs and rows; the key of both attack registries
    instance_class: str  # class of instance 1 (the instrument) in the row's ``instances``
    shows_source: bool  # shows an image of the victim (a source capture rendered by the worker)
    sample_params: ParamSampler
