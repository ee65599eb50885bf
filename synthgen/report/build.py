"""``synthgen inspect DIR``: reads a dataset's labels once and writes ``OUT/report/index.html`` (warnings,
counts, distributions, contact sheets per kind) and ``OUT/contact_sheet.png``; returns the terminal summary."""

from __future__ import annotations

import contextlib
import html
import logging
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.data import SynthgenDataset, open_dataset
from synthgen.data.decode import image_columns
from synthgen.dataset.folder import CONTACT_SHEET_NAME, REPORT_DIR_NAME, REPORT_PAGE_NAME, record_written
from synthgen.dataset.shard_writer import TEMP_PREFIX
from synthgen.dataset.storage import DatasetStore
from synthgen.errors import StorageError, UsageError
from synthgen.report.checks import Finding, check_labels
from synthgen.report.html_page import Sheet, image_html, render_page, table
from synthgen.report.identity_quality import IdentityQuality, identity_quality_section
from synthgen.report.sheets import contact_sheet, png_bytes, tile_names
from synthgen.report.stats import Distributions, collect
from synthgen.report.svg_charts import bar_svg, histogram_svg
from synthgen.splits import dataset_split_name

log = logging.getLogger(__name__)

SHEET_COLUMNS = (
    "sample_id",
    "kind",
    "scene_part",
    "environment",
    "is_live",
    "attack_type",
    "image",
    "mask",
    "depth",
    "nir",
    "instances",
    "keypoints_2d",
    "keypoints_visible",
    "palm_roi",
)
SPLIT_ORDER = ("train", "validation", "val", "test")  # "val": datasets of schema version 2


@dataclass
class Report:
    text: str
    findings: list[Finding]
    html: Path
    contact_sheet: Path
    identity: IdentityQuality | None = None  # palm datasets: the classical matcher's figures


def _identity_html(quality: IdentityQuality) -> str:
    parts = [f"<p>{html.escape(line)}</p>" for line in quality.lines]
    if quality.rows:
        parts.append(table(quality.header, quality.rows))
    if quality.worst_rows:
        parts.append("<h3>Worst identities</h3>" + table(quality.worst_header, quality.worst_rows))
    if quality.crops is not None:
        parts.append(
            "<h3>Aligned palm crops</h3><p class='legend'>one identity per row: its first captures in RGB, then in "
            "NIR; what the matcher compares</p>" + image_html(png_bytes(quality.crops), "aligned palm crops")
        )
    return "\n".join(parts)


def _distribution(values: list[float], unit: str) -> str:
    array = np.asarray(values, dtype=float)
    p5, p50, p95 = np.percentile(array, [5, 50, 95])

    def short(value: float) -> str:
        return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"

    shown = " / ".join(f"{name} {short(v)}" for name, v in zip(("min", "p5", "median", "p95", "max"),
                       (array.min(), p5, p50, p95, array.max()), strict=True))  # fmt: skip
    return f"{shown} {unit}".rstrip()


def _write_atomic(path: Path, data: bytes, folder: Path) -> None:
    """Writes a report file into the dataset and notes its digest in the manifest (``--overwrite`` removes it
    later only while it is unchanged). A dataset that cannot be written to is one line, exit 2."""
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(exist_ok=True)
        temp.write_bytes(data)
        os.replace(temp, path)
        record_written(DatasetStore(folder, field="dataset"), path.relative_to(folder).as_posix(), data)
    except (OSError, StorageError) as exc:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(
            f"inspect: cannot write {path} ({reason}); the report is written into the dataset folder, "
            "so copy a read-only dataset somewhere writable first"
        ) from None


def _spread(positions: list[int], count: int) -> list[int]:
    if len(positions) <= count:
        return positions
    picks = np.unique(np.linspace(0, len(positions) - 1, count).round().astype(int))
    return [positions[i] for i in picks]


def _take(dataset: SynthgenDataset, positions: list[int], columns: list[str]) -> list[dict]:
    if not positions:
        return []
    return dataset.arrow_dataset().take(pa.array(positions, pa.int64()), columns=columns).to_pylist()


def _groups(labels: pa.Table) -> list[str]:
    """What each row is reported under: its part of a mixed job ("palm-scanner", "shelf"), else its kind."""
    kinds = labels.column("kind").to_pylist()
    if "scene_part" not in labels.column_names:
        return kinds
    return [part or kind for part, kind in zip(labels.column("scene_part").to_pylist(), kinds, strict=True)]


def _counts(labels: pa.Table, manifest: dict) -> tuple[list[str], list[list[object]]]:
    splits = labels.column("split").to_pylist()
    kinds = _groups(labels)
    clean = [a == 0 for a in labels.column("aug_index").to_pylist()]
    configured = [dataset_split_name(s) for s in manifest.get("config", {}).get("dataset", {}).get("splits", {})]
    names = [s for s in SPLIT_ORDER if s in set(splits) | set(configured)]
    names += sorted(set(splits) - set(names))
    kind_names = sorted(set(kinds))
    rows_by = Counter(zip(splits, kinds, strict=True))
    renders_by = Counter((s, k) for s, k, c in zip(splits, kinds, clean, strict=True) if c)
    header = ["split", *(f"{k}: rows" for k in kind_names), *(f"{k}: renders" for k in kind_names), "all rows"]
    body: list[list[object]] = [
        [
            s,
            *(rows_by[(s, k)] for k in kind_names),
            *(renders_by[(s, k)] for k in kind_names),
            sum(rows_by[(s, k)] for k in kind_names),
        ]
        for s in names
    ]
    body.append(
        [
            "all",
            *(sum(rows_by[(s, k)] for s in names) for k in kind_names),
            *(sum(renders_by[(s, k)] for s in names) for k in kind_names),
            labels.num_rows,
        ]
    )
    return header, body


def _charts(distributions: Distributions) -> list[str]:
    def order(counts: Counter[str]) -> dict[str, int]:
        known = [k for k in SPLIT_ORDER if k in counts]
        return {k: counts[k] for k in known + sorted(set(counts) - set(known))}

    charts = [bar_svg(order(counts), title) for title, counts in distributions.categorical.items()]
    charts += [histogram_svg(values, title, unit) for title, (values, unit) in distributions.numeric.items()]
    return charts


def _summary_lines(folder: Path, labels: pa.Table, manifest: dict, distributions: Distributions) -> list[str]:
    augmented = sum(1 for a in labels.column("aug_index").to_pylist() if a > 0)
    lines = [
        f"dataset {folder}: {labels.num_rows} rows ({augmented} augmented) in {manifest['num_shards']} shard(s), "
        f"seed {manifest['seed']}, complete: {manifest['complete']}"
    ]
    lines += [f"{title}: {dict(counts)}" for title, counts in distributions.categorical.items()]
    lines += [f"{title}: {_distribution(values, unit)}" for title, (values, unit) in distributions.numeric.items()]
    return lines


def build_report(folder: Path, samples: int = 16, min_identity_renders: int = 5) -> Report:
    if samples < 1:
        raise UsageError(f"inspect --samples: expected at least 1 image on the contact sheet, got {samples}")
    dataset = open_dataset(folder)
    if not os.access(folder, os.W_OK):  # checked before the work, as _write_atomic would fail after it
        raise UsageError(
            f"inspect: cannot write the report into {folder} (not writable); "
            "copy a read-only dataset somewhere writable first"
        )
    manifest = dataset.manifest
    images = set(image_columns(dataset.schema))
    label_columns = [c for c in dataset.columns if c not in images and c not in ("aug_params", "spec")]
    labels = dataset.to_arrow(columns=label_columns)
    # Scene parameters once per render: the specs of the clean rows only (variants repeat them).
    clean = dataset.to_arrow(columns=[*label_columns, "spec"], filter=pc.field("aug_index") == 0)
    distributions = collect(labels, clean)

    def masks(positions: list[int]) -> Iterable[bytes | None]:
        for row in _take(dataset, positions, ["mask"]):
            yield row["mask"]["bytes"] if row["mask"] else None

    findings = check_labels(labels, manifest, masks, min_identity_renders)
    identity = identity_quality_section(dataset)
    if identity is not None:
        findings += identity.findings
    sheet_columns = [c for c in SHEET_COLUMNS if c in dataset.columns]
    kinds = _groups(labels)
    sheets = []
    for kind in list(dict.fromkeys(kinds)):  # in order of first appearance (a mix: roughly its part order)
        rows = _take(dataset, _spread([i for i, k in enumerate(kinds) if k == kind], samples), sheet_columns)
        picture = contact_sheet(rows, per_row=2)
        with_nir = any((r.get("nir") or {}).get("bytes") for r in rows)
        with_points = any(r.get("keypoints_2d") for r in rows)
        legend = "each sample: " + " | ".join(tile_names(with_nir, with_points)) + " (boxes in instance colours"
        legend += "; filled dots = visible keypoints)" if with_points else ")"
        legend += "; caption: sample id, kind, live or ATTACK and its type (on red); depth: red near, blue far"
        sheets.append(Sheet(f"{kind} ({len(rows)} of {kinds.count(kind)} rows)", legend, png_bytes(picture)))

    sheet_path = folder / CONTACT_SHEET_NAME
    mixed = _take(dataset, _spread(list(range(labels.num_rows)), samples), sheet_columns)
    _write_atomic(sheet_path, png_bytes(contact_sheet(mixed, per_row=4)), folder)

    summary = _summary_lines(folder, labels, manifest, distributions) + (identity.lines if identity else [])
    header, counts = _counts(labels, manifest)
    config = manifest.get("config", {})
    page = render_page(
        f"synthgen dataset report: {folder.name}",
        [
            summary[0],
            f"resolution {config.get('resolution')}, {config.get('render', {}).get('spp')} spp, "
            f"{manifest.get('variants')} augmented variant(s) per render, synthgen {manifest.get('synthgen_version')}, "
            f"fingerprint {manifest.get('fingerprint')}",
        ],
        header,
        counts,
        findings,
        _charts(distributions),
        sheets,
        [("Identity quality", _identity_html(identity))] if identity is not None else [],
    )
    report_dir = folder / REPORT_DIR_NAME
    html_path = report_dir / REPORT_PAGE_NAME
    _write_atomic(html_path, page.encode("utf-8"), folder)
    text = "\n".join([*summary, *(f.line() for f in findings)] or [])
    if not findings:
        text += "\nno problems found"
    log.debug("wrote %s and %s", html_path, sheet_path)
    return Report(text, findings, html_path, sheet_path, identity)
