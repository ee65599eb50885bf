"""Helpers to declare dataset columns: an Arrow type beside the Hugging Face feature that describes it.

Image-like columns are stored the way Hugging Face ``datasets`` stores an ``Image`` feature (a struct of encoded
``bytes`` and a ``path``), so ``datasets.load_dataset("parquet", ...)`` decodes them by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    """One dataset column: its name, Arrow type and Hugging Face feature."""

    name: str
    arrow_type: pa.DataType
    feature: dict[str, Any]


IMAGE_STRUCT = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def value(dtype: str) -> dict[str, Any]:
    return {"dtype": dtype, "_type": "Value"}


def fixed_list(feature: dict[str, Any], length: int) -> dict[str, Any]:
    return {"feature": feature, "length": length, "_type": "List"}


def list_of(feature: dict[str, Any]) -> dict[str, Any]:
    return {"feature": feature, "_type": "List"}


def scalar_column(name: str, arrow_type: pa.DataType, dtype: str) -> Column:
    return Column(name, arrow_type, value(dtype))


def image_column(name: str) -> Column:
    return Column(name, IMAGE_STRUCT, {"_type": "Image"})
