"""The product columns of a dataset row: the primary product's class and SKU, the defects and their mask.

The defect mask is an 8-bit image of defect ids: 0 = none, k = ``defects[k - 1]``. Per-instance product fields
(SKU, pose, 3D box, visible fraction) extend the base ``instances`` column (``pixel_labels.extend_instances``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from synthgen.dataset.columns import Column, image_column, list_of, scalar_column, value
from synthgen.dataset.image_codec import ImageCodec, image_cell
from synthgen.scenes.products.product_labels import defect_records, instance_labels

if TYPE_CHECKING:
    from synthgen.pipeline.rows import CleanSample

DEFECT_STRUCT = pa.struct(
    [
        ("id", pa.int32()),
        ("type", pa.string()),
        ("instance", pa.int32()),
        ("pixels", pa.int64()),
        ("bbox", pa.list_(pa.float32())),
    ]
)

PRODUCT_COLUMNS: tuple[Column, ...] = (
    scalar_column("product_class", pa.string(), "string"),
    scalar_column("sku_id", pa.int64(), "int64"),
    Column(
        "defects",
        pa.list_(DEFECT_STRUCT),
        list_of(
            {
                "id": value("int32"),
                "type": value("string"),
                "instance": value("int32"),
                "pixels": value("int64"),
                "bbox": list_of(value("float32")),
            }
        ),
    ),
    image_column("defect_mask"),
)


def read_product_labels(spec: dict[str, Any], output: dict[str, Any], sample: CleanSample) -> None:
    """The defect mask and per-instance product labels, when the render has products."""
    if "defect_index" in output:
        sample.defect_mask = np.asarray(output["defect_index"], dtype=np.uint8)
        sample.products = instance_labels(spec, output, sample.camera_pose, sample.mask)


def product_row_values(spec: dict[str, Any], sample: CleanSample, codec: ImageCodec) -> dict[str, Any]:
    has_products = sample.defect_mask is not None
    return {
        "product_class": spec.get("product_class"),
        "sku_id": spec.get("sku_id"),
        "defects": defect_records(spec, sample.defect_mask) if has_products else None,
        "defect_mask": image_cell(sample.defect_mask, codec) if has_products else None,
    }
