"""``synthgen export DIR --format F [--split S] OUT``: the subcommand (hooked into synthgen/cli.py)."""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from synthgen.export.formats import FORMATS, IMAGE_FORMATS, PRODUCT_LABELS, YOLO_TASKS

log = logging.getLogger(__name__)


def add_export_parser(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="write a dataset as COCO, YOLO, BOP or WebDataset for other training frameworks"
    )
    export.add_argument("dataset", help="a synthgen dataset folder or URL (s3://..., file://...)")
    export.add_argument("out", help="a new or empty local folder (never inside the dataset)")
    export.add_argument("--format", required=True, choices=FORMATS, help="the layout to write")
    export.add_argument(
        "--split", choices=("train", "validation", "val", "test"), help="only this split (default: all)"
    )
    export.add_argument(
        "--product-labels",
        choices=PRODUCT_LABELS,
        default="class",
        help="products: one category per product family (class) or per SKU (sku)",
    )
    export.add_argument(
        "--task",
        choices=YOLO_TASKS,
        help="yolo: the label task (default: pose for hands, else segment)",
    )
    export.add_argument(
        "--image-format", choices=IMAGE_FORMATS, help="coco, yolo, webdataset: image files (default png; BOP: jpg)"
    )
    export.add_argument("--overwrite", action="store_true", help="replace an earlier synthgen export in OUT")
    export.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_export(args: argparse.Namespace, console: Console) -> int:
    from synthgen.export.job import check_export

    job = check_export(
        args.dataset,
        args.format,
        args.out,
        args.split,
        args.product_labels,
        args.task,
        args.overwrite,
        args.image_format,
    )
    columns = (
        TextColumn(f"[bold]export {args.format}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console, disable=args.no_progress) as progress:
        task = progress.add_task("export", total=None, rate=0.0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, rate=done / (time.perf_counter() - started))

        try:
            summary = job.run(on_progress)
        except KeyboardInterrupt:
            progress.stop()
            console.print(
                f"synthgen: export interrupted; {job.out} holds a partial export (export.json: complete false), "
                "rerun with --overwrite to replace it",
                highlight=False,
            )
            return 130
    rows = ", ".join(f"{split} {count}" for split, count in summary.rows.items())
    skipped = f"; {summary.skipped} augmented rows left out" if summary.skipped else ""
    console.print(
        f"[bold green]done[/]: {args.format} export of {sum(summary.rows.values())} rows ({rows}){skipped} "
        f"in {time.perf_counter() - started:.1f}s\n      -> {job.out}",
        highlight=False,
    )
    return 0
