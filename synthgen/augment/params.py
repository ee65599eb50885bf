"""Applied transform parameters as plain JSON data, for the ``aug_params`` column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# Larger arrays (e.g. GaussNoise's full-resolution noise map) are summarised by shape and dtype: one per row
# would dwarf the image, and replay re-derives it from the seed anyway.
MAX_ARRAY_ELEMENTS = 256

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def to_jsonable(value: Any) -> JSONValue:
    """numpy scalars → Python scalars, arrays → nested lists, tuples → lists, mapping keys → str."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.size > MAX_ARRAY_ELEMENTS:
            return {"ndarray": {"shape": list(value.shape), "dtype": str(value.dtype)}}
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return repr(value)  # an unexpected type is recorded rather than breaking the row


def applied_to_json(applied: list[tuple[str, Mapping[str, Any]]]) -> list[dict[str, JSONValue]]:
    """``Compose(save_applied_params=True)``'s ``applied_transforms`` as ``[{name, params}, ...]``."""
    return [{"name": name, "params": to_jsonable(params)} for name, params in applied]
