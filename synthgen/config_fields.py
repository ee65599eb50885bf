"""Building blocks of the config models: strict frozen models, sampled [low, high] ranges and weighted choices.

Kept apart from ``synthgen.config`` so that config models living beside their domain
(``synthgen.scenes.hands.attacks.config``)
use the same checks, and error messages read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

FloatRange = Annotated[tuple[float, float], Field(description="[low, high], sampled uniformly")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_range(value: tuple[float, float]) -> tuple[float, float]:
    low, high = value
    if low > high:
        raise ValueError(f"low {low} is greater than high {high}")
    return value


def check_weights(value: dict[str, float], known: Iterable[str], what: str) -> dict[str, float]:
    """Relative weights of named choices: every name known, weights >= 0 with a positive sum."""
    known = tuple(known)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {unknown} (choose from {', '.join(known)})")
    if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
        raise ValueError(f"weights must be >= 0 with a positive sum, got {value}")
    return value
