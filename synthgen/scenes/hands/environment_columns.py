"""The environment columns of a hand row: the setting (office, shop, kitchen, outdoor, plain), clutter, occluder.

Null for rows without a hand environment (products, tabletop, attack source captures have none).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from synthgen.dataset.columns import Column, scalar_column

ENVIRONMENT_COLUMNS: tuple[Column, ...] = (
    scalar_column("environment", pa.string(), "string"),
    scalar_column("clutter_count", pa.int32(), "int32"),
    # The occluder's shape ("box", "cylinder", "bottle"); its pixels are instance OCCLUDER_INSTANCE_ID (class
    # "occluder") in ``mask``/``instances``, and keypoints behind it are not visible.
    scalar_column("occluder", pa.string(), "string"),
)


def environment_row_values(spec: dict[str, Any]) -> dict[str, Any]:
    environment = spec.get("environment")
    if environment is None:
        return {"environment": None, "clutter_count": None, "occluder": None}
    occluder = environment.get("occluder")
    return {
        "environment": environment["name"],
        "clutter_count": len(environment["clutter"]),
        "occluder": occluder["shape"] if occluder else None,
    }
