"""The Parquet schema of a synthgen dataset (a contract: training jobs and other tools read these names).

Image-like columns are stored the way Hugging Face ``datasets`` stores an ``Image`` feature (a struct of PNG
``bytes`` and a ``path``), and the feature types are written to the ``huggingface`` schema metadata, so
``datasets.load_dataset("parquet", ...)`` decodes them by itself. See ``docs/dataset-format.md``.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 2  # 2: instances gained product fields; attack, product and defect columns (docs/dataset-format.md)

IMAGE_STRUCT = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
IMAGE_COLUMNS = ("image", "mask", "depth", "nir", "defect_mask")


def _value(dtype: str) -> dict[str, Any]:
    return {"dtype": dtype, "_type": "Value"}


def _fixed_list(feature: dict[str, Any], length: int) -> dict[str, Any]:
    return {"feature": feature, "length": length, "_type": "List"}


def _list(feature: dict[str, Any]) -> dict[str, Any]:
    return {"feature": feature, "_type": "List"}


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

DEFECT_STRUCT = pa.struct(
    [
        ("id", pa.int32()),
        ("type", pa.string()),
        ("instance", pa.int32()),
        ("pixels", pa.int64()),
        ("bbox", pa.list_(pa.float32())),
    ]
)

# (name, arrow type, huggingface feature). The order is the column order in every shard.
COLUMNS: list[tuple[str, pa.DataType, dict[str, Any]]] = [
    ("sample_id", pa.string(), _value("string")),
    ("render_id", pa.string(), _value("string")),
    ("render_index", pa.int64(), _value("int64")),
    ("aug_index", pa.int32(), _value("int32")),
    ("split", pa.string(), _value("string")),
    ("kind", pa.string(), _value("string")),
    ("is_live", pa.bool_(), _value("bool")),
    # Presentation attacks (null for live rows): docs/dataset-format.md#presentation-attacks.
    ("attack_type", pa.string(), _value("string")),
    ("attack_params", pa.string(), _value("string")),
    ("width", pa.int32(), _value("int32")),
    ("height", pa.int32(), _value("int32")),
    ("image", IMAGE_STRUCT, {"_type": "Image"}),
    ("mask", IMAGE_STRUCT, {"_type": "Image"}),
    ("depth", IMAGE_STRUCT, {"_type": "Image"}),
    ("depth_scale", pa.float32(), _value("float32")),
    # Variable-length so it can be null (subject not visible): pyarrow cannot read back a null fixed-size list.
    ("bbox", pa.list_(pa.float32()), _list(_value("float32"))),
    (
        "instances",
        pa.list_(INSTANCE_STRUCT),
        _list(
            {
                "id": _value("int32"),
                "class": _value("string"),
                "bbox": _fixed_list(_value("float32"), 4),
                "pixels": _value("int64"),
                "sku_id": _value("int64"),
                "visible_fraction": _value("float32"),
                "object_pose": _list(_list(_value("float32"))),
                "box3d": _list(_list(_value("float32"))),
            }
        ),
    ),
    ("camera_K", pa.list_(pa.list_(pa.float32(), 3), 3), _fixed_list(_fixed_list(_value("float32"), 3), 3)),
    (
        "camera_pose",
        pa.list_(pa.list_(pa.float32(), 4), 4),
        _fixed_list(_fixed_list(_value("float32"), 4), 4),
    ),
    # Hand labels (null for rows without a hand). Keypoints in the 21-point order of docs/dataset-format.md.
    ("identity_id", pa.int64(), _value("int64")),
    ("handedness", pa.string(), _value("string")),
    ("pose_family", pa.string(), _value("string")),
    ("keypoints_2d", pa.list_(pa.list_(pa.float32(), 2)), _list(_fixed_list(_value("float32"), 2))),
    ("keypoints_3d", pa.list_(pa.list_(pa.float32(), 3)), _list(_fixed_list(_value("float32"), 3))),
    ("keypoints_visible", pa.list_(pa.bool_()), _list(_value("bool"))),
    ("palm_roi", pa.list_(pa.float32()), _list(_value("float32"))),
    ("nir", IMAGE_STRUCT, {"_type": "Image"}),
    # Product labels (null for rows without products): the primary product's class and SKU, the defects and
    # their mask (8-bit PNG of defect ids: 0 = none, k = defects[k - 1]).
    ("product_class", pa.string(), _value("string")),
    ("sku_id", pa.int64(), _value("int64")),
    (
        "defects",
        pa.list_(DEFECT_STRUCT),
        _list(
            {
                "id": _value("int32"),
                "type": _value("string"),
                "instance": _value("int32"),
                "pixels": _value("int64"),
                "bbox": _list(_value("float32")),
            }
        ),
    ),
    ("defect_mask", IMAGE_STRUCT, {"_type": "Image"}),
    ("aug_seed", pa.int64(), _value("int64")),
    ("aug_params", pa.string(), _value("string")),
    ("spec", pa.string(), _value("string")),
]

COLUMN_NAMES = [name for name, _, _ in COLUMNS]


def dataset_schema() -> pa.Schema:
    features = {name: feature for name, _, feature in COLUMNS}
    metadata = {
        "huggingface": json.dumps({"info": {"features": features}}),
        "synthgen": json.dumps({"schema_version": SCHEMA_VERSION}),
    }
    return pa.schema([pa.field(name, dtype) for name, dtype, _ in COLUMNS], metadata=metadata)
