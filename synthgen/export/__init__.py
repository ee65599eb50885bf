"""Exports of a synthgen dataset into the layouts detection, segmentation and pose frameworks read.

``synthgen export DIR --format coco | yolo | bop | webdataset [--split S] OUT``: one module per format, all
streaming the rows (``rows.ExportSource``) so any size of dataset exports in flat memory. See
docs/dataset-format.md ("Exports").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthgen.export.categories import ProductLabels
from synthgen.export.output import ExportSummary, ProgressCallback, prepare_out_dir
from synthgen.export.rows import ExportSource, open_export_source

FORMATS = ("coco", "yolo", "bop", "webdataset")


def _writer(name: str) -> Callable[..., ExportSummary]:
    if name == "coco":
        from synthgen.export.coco import write_coco

        return write_coco
    if name == "yolo":
        from synthgen.export.yolo import write_yolo

        return write_yolo
    if name == "bop":
        from synthgen.export.bop import write_bop

        return write_bop
    from synthgen.export.webdataset_shards import write_webdataset

    return write_webdataset


def check_export(
    dataset_dir: str | Path,
    format: str,
    out: str | Path,
    split: str | None = None,
    product_labels: ProductLabels = "class",
    task: str | None = None,
) -> tuple[ExportSource, Path]:
    """Checks every input (UsageError naming the field) and creates ``out``; nothing is exported yet."""
    from synthgen.errors import UsageError

    if format not in FORMATS:
        raise UsageError(f"format: {format!r} is not an export format (choose {', '.join(FORMATS)})")
    if task is not None and format != "yolo":
        raise UsageError(f"task: {task!r} applies to --format yolo only, not {format!r}")
    if task is not None and task not in ("detect", "segment", "pose"):
        raise UsageError(f"task: {task!r} is not a YOLO task (choose detect, segment, pose)")
    if product_labels not in ("class", "sku"):
        raise UsageError(f"product_labels: {product_labels!r} is not 'class' or 'sku'")
    source = open_export_source(dataset_dir, split, product_labels)
    if task == "pose" and "hand" not in source.vocabulary.classes:
        raise UsageError(
            f"task: 'pose' needs hand keypoints; {dataset_dir} is a {source.vocabulary.scene_type} dataset"
        )
    if format == "bop" and source.vocabulary.scene_type != "products":
        raise UsageError(
            f"format: 'bop' needs a products dataset (6D poses); {dataset_dir} is a {source.vocabulary.scene_type} one"
        )
    return source, prepare_out_dir(out, source.location)


def export_dataset(
    dataset_dir: str | Path,
    format: str,
    out: str | Path,
    split: str | None = None,
    product_labels: ProductLabels = "class",
    task: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> ExportSummary:
    """Exports a dataset (all splits, or ``split``) as ``format`` into the new or empty folder ``out``.

    ``task`` (YOLO only): ``detect``, ``segment`` or ``pose`` (default: pose for hands, segment otherwise).
    """
    source, target = check_export(dataset_dir, format, out, split, product_labels, task)
    options = {"task": task} if format == "yolo" else {}
    return _writer(format)(source, target, on_progress, **options)


__all__ = ["FORMATS", "ExportSummary", "check_export", "export_dataset"]
