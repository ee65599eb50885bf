"""The Parquet schema of a synthgen dataset (a contract: training jobs and other tools read these names).

The columns are the base columns every row has, then each registered scene kind's own columns
(``SceneKind.columns``, null where a row has none), then the reproduction columns. The feature types are written
to the ``huggingface`` schema metadata, so ``datasets.load_dataset("parquet", ...)`` decodes images by itself.
See ``docs/dataset-format.md``.
"""

from __future__ import annotations

import functools
import json

import pyarrow as pa

from synthgen.dataset.columns import (
    IMAGE_STRUCT,
    Column,
    fixed_list,
    image_column,
    list_of,
    scalar_column,
    value,
)
from synthgen.scenes.common.camera_columns import CAMERA_MODEL_COLUMNS
from synthgen.scenes.registry import scene_kinds

SCHEMA_VERSION = 3  # 3: data/<split>/ folders, "validation", provenance metadata (docs/dataset-format.md)

INSTANCE_STRUCT = pa.struct(
    [
        ("id", pa.int32()),
        ("class", pa.string()),
        ("bbox", pa.list_(pa.float32(), 4)),
        ("pixels", pa.int64()),
        # Products only (null otherwise): the SKU, the share of its unoccluded silhouette that is visible,
        # its pose (object-to-camera, OpenCV axes) and its 8 local box corners in the camera frame.
        ("sku_id", pa.int64()),
        ("visible_fraction", pa.float32()),
        ("object_pose", pa.list_(pa.list_(pa.float32()))),
        ("box3d", pa.list_(pa.list_(pa.float32()))),
    ]
)

BASE_COLUMNS: tuple[Column, ...] = (
    scalar_column("sample_id", pa.string(), "string"),
    scalar_column("render_id", pa.string(), "string"),
    scalar_column("render_index", pa.int64(), "int64"),
    scalar_column("aug_index", pa.int32(), "int32"),
    scalar_column("split", pa.string(), "string"),
    scalar_column("kind", pa.string(), "string"),
    # A mixed job's part (scene.type: mix, e.g. "palm-scanner"); null in a job of one scene config.
    scalar_column("scene_part", pa.string(), "string"),
    scalar_column("is_live", pa.bool_(), "bool"),
    # Presentation attacks (null for live rows): docs/dataset-format.md#presentation-attacks.
    scalar_column("attack_type", pa.string(), "string"),
    scalar_column("attack_params", pa.string(), "string"),
    scalar_column("width", pa.int32(), "int32"),
    scalar_column("height", pa.int32(), "int32"),
    image_column("image"),
    image_column("mask"),
    image_column("depth"),
    scalar_column("depth_scale", pa.float32(), "float32"),
    # Variable-length so it can be null (subject not visible): pyarrow cannot read back a null fixed-size list.
    Column("bbox", pa.list_(pa.float32()), list_of(value("float32"))),
    Column(
        "instances",
        pa.list_(INSTANCE_STRUCT),
        list_of(
            {
                "id": value("int32"),
                "class": value("string"),
                "bbox": fixed_list(value("float32"), 4),
                "pixels": value("int64"),
                "sku_id": value("int64"),
                "visible_fraction": value("float32"),
                "object_pose": list_of(list_of(value("float32"))),
                "box3d": list_of(list_of(value("float32"))),
            }
        ),
    ),
    Column("camera_K", pa.list_(pa.list_(pa.float32(), 3), 3), fixed_list(fixed_list(value("float32"), 3), 3)),
    Column("camera_pose", pa.list_(pa.list_(pa.float32(), 4), 4), fixed_list(fixed_list(value("float32"), 4), 4)),
    # Opt-in label passes (config ``labels``), clean renders only: docs/dataset-format.md#label-passes.
    image_column("normals"),
    image_column("part_mask"),
    image_column("palm_crease_map"),
    image_column("palm_vein_map"),
)

REPRODUCTION_COLUMNS: tuple[Column, ...] = (
    scalar_column("aug_seed", pa.int64(), "int64"),
    scalar_column("aug_params", pa.string(), "string"),
    scalar_column("spec", pa.string(), "string"),
)


@functools.cache
def columns() -> tuple[Column, ...]:
    """Every column, in the order of every shard."""
    kind_columns = tuple(column for kind in scene_kinds().values() for column in kind.columns)
    return BASE_COLUMNS + kind_columns + CAMERA_MODEL_COLUMNS + REPRODUCTION_COLUMNS


def column_names() -> list[str]:
    return [column.name for column in columns()]


def image_column_names() -> tuple[str, ...]:
    """Columns holding encoded images (``{"bytes", "path"}`` structs)."""
    return tuple(column.name for column in columns() if column.arrow_type == IMAGE_STRUCT)


def dataset_schema() -> pa.Schema:
    features = {column.name: column.feature for column in columns()}
    metadata = {
        "huggingface": json.dumps({"info": {"features": features}}),
        "synthgen": json.dumps({"schema_version": SCHEMA_VERSION}),
    }
    return pa.schema([pa.field(column.name, column.arrow_type) for column in columns()], metadata=metadata)
