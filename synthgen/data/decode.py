"""From Arrow rows to training samples: image columns (PNM or PNG) decoded to numpy arrays, numeric lists to arrays.

Image-like columns are found by their type (a struct of encoded ``bytes`` and a ``path``, the Hugging Face
``Image`` layout), so columns added later (``nir``, ...) decode without a change here. Only the columns a
reader asked for are read and decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from synthgen.dataset.image_codec import decode_image


def is_image_type(dtype: pa.DataType) -> bool:
    if not pa.types.is_struct(dtype):
        return False
    names = {dtype.field(i).name: dtype.field(i).type for i in range(dtype.num_fields)}
    return set(names) == {"bytes", "path"} and pa.types.is_binary(names["bytes"])


def image_columns(schema: pa.Schema) -> list[str]:
    return [field.name for field in schema if is_image_type(field.type)]


def _numeric_leaf(dtype: pa.DataType) -> np.dtype | None:
    """The numpy dtype of a (nested) list of numbers or booleans; None for anything else."""
    while pa.types.is_list(dtype) or pa.types.is_fixed_size_list(dtype) or pa.types.is_large_list(dtype):
        dtype = dtype.value_type
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_boolean(dtype):
        return np.dtype(dtype.to_pandas_dtype())
    return None


def array_columns(schema: pa.Schema) -> dict[str, np.dtype]:
    """List columns of numbers (``bbox``, ``camera_K``, ``keypoints_2d``, ...) and their numpy dtypes."""
    result = {}
    for field in schema:
        if (
            pa.types.is_list(field.type)
            or pa.types.is_fixed_size_list(field.type)
            or pa.types.is_large_list(field.type)
        ):
            leaf = _numeric_leaf(field.type)
            if leaf is not None:
                result[field.name] = leaf
    return result


def decode_rows(table: pa.Table, decode: bool = True) -> Iterator[dict[str, Any]]:
    """One dict per row. With ``decode``: images as arrays (RGB uint8 (H, W, 3); masks uint8, depth uint16
    (H, W)), numeric lists as arrays (null stays None). Without: images as encoded bytes, lists as lists."""
    images = set(image_columns(table.schema))
    arrays = array_columns(table.schema) if decode else {}
    for row in table.to_pylist():
        for name in images:
            cell = row[name]
            data = cell["bytes"] if cell is not None else None
            row[name] = decode_image(data) if decode and data is not None else data
        for name, dtype in arrays.items():
            if row[name] is not None:
                row[name] = np.asarray(row[name], dtype=dtype)
        yield row
