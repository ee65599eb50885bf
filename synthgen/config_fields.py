"""Building blocks of the config models: strict frozen models, sampled [low, high] ranges and weighted choices.

Kept apart from ``synthgen.config`` so that config models living beside their domain
(``synthgen.scenes.hands.attacks.config``)
use the same checks, and error messages read the same everywhere.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

FloatRange = Annotated[tuple[float, float], Field(description="[low, high], sampled uniformly")]


def _accepts(annotation: Any, kind: type) -> bool:
    """Whether a field's annotation is ``kind`` or an optional/union holding it."""
    if annotation is kind:
        return True
    return get_origin(annotation) in (Union, types.UnionType) and kind in get_args(annotation)


class StrictModel(BaseModel):
    """Frozen, unknown keys refused, and no silent coercion between booleans and numbers: pydantic's lax mode
    would take ``spp: true`` as 1 and ``enabled: 1`` as true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _booleans_are_not_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, field in cls.model_fields.items():
            value = data.get(name)
            if value is None or field.annotation is None:
                continue
            wants_bool = _accepts(field.annotation, bool)
            if wants_bool and not isinstance(value, bool) and isinstance(value, (int, float, str)):
                raise ValueError(f"{name}: expected true or false, got {value!r}")
            numeric = _accepts(field.annotation, int) or _accepts(field.annotation, float)
            if not wants_bool and numeric and isinstance(value, bool):
                raise ValueError(f"{name}: expected a number, got {value!r}")
        return data


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
