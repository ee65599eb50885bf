"""Row filters as pyarrow dataset expressions, so they are pushed down to the Parquet reader (row-group
statistics skip whole row groups) instead of being applied after decoding.

Columns that only some datasets have (``attack_type`` with spoofs, ``identity_id`` with hands) are checked
against the schema first: a filter on a column the dataset lacks is a clear error naming it, never an empty
result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthgen.errors import UsageError

# Which samples carry a column, for the error message when a dataset lacks it.
COLUMN_ORIGIN = {
    "attack_type": "presentation-attack (spoof) samples",
    "identity_id": "hand samples",
    "sku_id": "product samples",
}


def require_columns(schema: pa.Schema, columns: Iterable[str], what: str) -> None:
    """UsageError naming the first column in ``columns`` that ``schema`` lacks."""
    for name in columns:
        if name not in schema.names:
            origin = COLUMN_ORIGIN.get(name)
            hint = f" (only datasets with {origin} have it)" if origin else ""
            raise UsageError(
                f"{what}: this dataset has no {name!r} column{hint}; its columns are {', '.join(schema.names)}"
            )


def _one_of(column: str, value: str | Sequence[str]) -> pc.Expression:
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise UsageError(f"filter {column}: give at least one value")
    field = pc.field(column)
    return field == values[0] if len(values) == 1 else field.isin(values)


SPLIT_NAMES = ("train", "validation", "test")
SPLIT_ALIASES = {"val": "validation"}  # synthgen's config key (dataset.splits.val) and older datasets' value


def _split_values(value: str | Sequence[str]) -> list[str]:
    """Split names as stored: Hugging Face's ``validation`` and synthgen's ``val`` both match either spelling;
    an unknown name is an error, never an empty result."""
    values = [value] if isinstance(value, str) else list(value)
    stored: list[str] = []
    for name in values:
        canonical = SPLIT_ALIASES.get(name, name)
        if canonical not in SPLIT_NAMES:
            raise UsageError(f"filter split: unknown split {name!r} (choose from train, validation (or val), test)")
        stored += ["validation", "val"] if canonical == "validation" else [canonical]
    return stored


def _identity_range(schema: pa.Schema, bounds: tuple[int, int]) -> pc.Expression:
    dtype = schema.field("identity_id").type
    if not pa.types.is_integer(dtype):
        raise UsageError(f"filter identity_range: needs an integer identity_id column, this dataset's is {dtype}")
    try:
        low, high = (int(b) for b in bounds)
    except (TypeError, ValueError):
        raise UsageError(f"filter identity_range: expected (low, high) integers, got {bounds!r}") from None
    if low > high:
        raise UsageError(f"filter identity_range: low {low} is greater than high {high}")
    field = pc.field("identity_id")
    return (field >= low) & (field < high)


def build_filter(
    schema: pa.Schema,
    split: str | Sequence[str] | None = None,
    kind: str | Sequence[str] | None = None,
    is_live: bool | None = None,
    attack_type: str | Sequence[str] | None = None,
    identity_range: tuple[int, int] | None = None,
    sku_id: str | Sequence[str] | None = None,
    scene_part: str | Sequence[str] | None = None,
) -> pc.Expression | None:
    """The conjunction of the given conditions (None when none is given).

    ``identity_range`` is half-open: ``low <= identity_id < high``. String arguments also take a list (any of).
    """
    wanted: dict[str, Any] = {
        "split": split,
        "kind": kind,
        "is_live": is_live,
        "attack_type": attack_type,
        "identity_id": identity_range,
        "sku_id": sku_id,
        "scene_part": scene_part,  # a mixed job's part ("palm-scanner", "shelf")
    }
    parts: list[pc.Expression] = []
    for column, value in wanted.items():
        if value is None:
            continue
        argument = "identity_range" if column == "identity_id" else column
        require_columns(schema, [column], f"filter {argument}")
        if column == "identity_id":
            parts.append(_identity_range(schema, value))
        elif column == "split":
            parts.append(_one_of(column, _split_values(value)))
        elif column == "is_live":
            parts.append(pc.field("is_live") == bool(value))
        else:
            parts.append(_one_of(column, value))
    return combine(*parts)


def combine(*expressions: pc.Expression | None) -> pc.Expression | None:
    """AND of the given expressions, skipping None."""
    result: pc.Expression | None = None
    for expression in expressions:
        if expression is not None:
            result = expression if result is None else result & expression
    return result
