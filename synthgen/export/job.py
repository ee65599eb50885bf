"""A checked export and how it runs: ``check_export`` (every input checked, OUT created) then ``ExportJob.run``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthgen import __version__
from synthgen.errors import StorageError, UsageError
from synthgen.export.categories import ProductLabels
from synthgen.export.formats import FORMATS, IMAGE_FORMATS, PRODUCT_LABELS, YOLO_TASKS
from synthgen.export.output import (
    EXPORT_RECORD,
    EXPORT_RECORD_FORMAT,
    ExportSummary,
    ProgressCallback,
    prepare_out_dir,
    write_json,
)
from synthgen.export.rows import ExportSource, open_export_source


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


@dataclass(frozen=True)
class ExportJob:
    """A checked export: its source rows, its (created, empty) folder and its settings."""

    source: ExportSource
    out: Path
    format: str
    split: str | None
    task: str | None
    image_format: str | None = None

    def run(self, on_progress: ProgressCallback | None = None) -> ExportSummary:
        """Writes the export; ``export.json`` says what it holds and is marked complete once every file is in place."""
        task = self.task
        if self.format == "yolo" and task is None:
            from synthgen.export.yolo import default_task

            task = default_task(self.source.vocabulary)
        record = {
            "format": EXPORT_RECORD_FORMAT,
            "export_format": self.format,
            "task": task,
            "dataset": self.source.location,
            "dataset_fingerprint": self.source.dataset.manifest.get("fingerprint"),
            "split": self.split,
            "image_format": "jpg" if self.format == "bop" else self.image_format or "png",
            "classes": list(self.source.vocabulary.classes),
            "synthgen_version": __version__,
            "complete": False,
        }
        write_json(self.out / EXPORT_RECORD, record)
        started = time.perf_counter()
        options: dict[str, str | None] = {"task": task} if self.format == "yolo" else {}
        if self.format != "bop":
            options["image_format"] = self.image_format or "png"
        try:
            summary = _writer(self.format)(self.source, self.out, on_progress, **options)
        except OSError as exc:  # a full disk, a folder made read-only: one line, the partial export stays marked
            where = exc.filename or self.out
            raise StorageError(
                f"out: cannot write {where} ({exc.strerror or exc}); the export in {self.out} is incomplete"
            ) from None
        record |= {"complete": True, "rows": summary.rows, "skipped_rows": summary.skipped}
        record["seconds"] = round(time.perf_counter() - started, 3)
        write_json(self.out / EXPORT_RECORD, record)
        return summary


def check_export(
    dataset_dir: str | Path,
    format: str,
    out: str | Path,
    split: str | None = None,
    product_labels: ProductLabels = "class",
    task: str | None = None,
    overwrite: bool = False,
    image_format: str | None = None,
) -> ExportJob:
    """Checks every input (UsageError naming the field) and creates ``out``; nothing is exported yet."""
    if format not in FORMATS:
        raise UsageError(f"format: {format!r} is not an export format (choose {', '.join(FORMATS)})")
    if task is not None and format != "yolo":
        raise UsageError(f"task: {task!r} applies to --format yolo only, not {format!r}")
    if task is not None and task not in YOLO_TASKS:
        raise UsageError(f"task: {task!r} is not a YOLO task (choose detect, segment, pose)")
    if image_format is not None and image_format not in IMAGE_FORMATS:
        raise UsageError(f"image_format: {image_format!r} is not png or jpg")
    if image_format is not None and format == "bop":
        raise UsageError("image_format: BOP's *_pbr splits hold JPEG images; --image-format applies to the others")
    if product_labels not in PRODUCT_LABELS:
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
    return ExportJob(source, prepare_out_dir(out, source.location, overwrite), format, split, task, image_format)


def export_dataset(
    dataset_dir: str | Path,
    format: str,
    out: str | Path,
    split: str | None = None,
    product_labels: ProductLabels = "class",
    task: str | None = None,
    overwrite: bool = False,
    image_format: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> ExportSummary:
    """Exports a dataset (all splits, or ``split``) as ``format`` into the new or empty folder ``out``.

    ``task`` (YOLO only): ``detect``, ``segment`` or ``pose`` (default: pose for hands, segment otherwise).
    ``overwrite`` replaces an earlier synthgen export in ``out`` (finished or not), never other files.
    ``image_format``: ``png`` (default) or ``jpg`` for the images of COCO, YOLO and WebDataset.
    """
    job = check_export(dataset_dir, format, out, split, product_labels, task, overwrite, image_format)
    return job.run(on_progress)


__all__ = ["ExportJob", "ExportSummary", "check_export", "export_dataset"]
