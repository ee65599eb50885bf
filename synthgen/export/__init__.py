"""Exports of a synthgen dataset into the layouts detection, segmentation and pose frameworks read.

``synthgen export DIR --format coco | yolo | bop | webdataset [--split S] OUT``: one module per format, all
streaming the rows (``rows.ExportSource``) so any size of dataset exports in flat memory. See
docs/dataset-format.md ("Exports").
"""

from __future__ import annotations

from typing import Any

from synthgen.export.formats import FORMATS, IMAGE_FORMATS, PRODUCT_LABELS, YOLO_TASKS

_FROM_JOB = ("ExportJob", "ExportSummary", "check_export", "export_dataset")


def __getattr__(name: str) -> Any:
    """``export_dataset``, ``check_export``, ... load on first use (they import pyarrow and the dataset readers)."""
    if name in _FROM_JOB:
        from synthgen.export import job

        return getattr(job, name)
    raise AttributeError(f"module 'synthgen.export' has no attribute {name!r}")


__all__ = ["FORMATS", "IMAGE_FORMATS", "PRODUCT_LABELS", "YOLO_TASKS", *_FROM_JOB]
