"""The QA step at the end of a flow run: validate every shard, count rows, draw the contact sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.dataset as pads
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from synthgen.dataset.folder import DATA_DIR_NAME, read_manifest
from synthgen.dataset.integrity import VERIFIED_PARQUET
from synthgen.dataset.storage import DatasetStore
from synthgen.dataset.validate import validate_dataset

COUNT_COLUMNS = ("kind", "split", "attack_type")  # attack_type only where some row is an attack


@dataclass
class QAReport:
    problems: list[str]
    counts: list[dict[str, Any]]  # one row per (kind, split[, attack_type]) with its row count
    summary: str = ""  # the inspect report's text (local folders)
    contact_sheet: str | None = None  # where the contact sheet was written
    notes: list[str] = field(default_factory=list)


def count_rows(store: DatasetStore) -> list[dict[str, Any]]:
    """Rows per kind, split and (when the dataset has attacks) attack type, from the shards the manifest lists."""
    manifest = read_manifest(store)
    paths = [store.path(f"{DATA_DIR_NAME}/{entry['name']}") for entry in manifest["shards"]]
    if not paths:
        return []
    dataset = pads.dataset(paths, filesystem=store.fs, format=VERIFIED_PARQUET)
    columns = [c for c in COUNT_COLUMNS if c in dataset.schema.names]
    table = dataset.to_table(columns=columns)
    if "attack_type" in columns and table.column("attack_type").null_count == table.num_rows:
        columns.remove("attack_type")  # a dataset without attacks: the column is all null
    grouped = table.group_by(columns).aggregate([([], "count_all")]).to_pylist()
    rows = [{**{c: g[c] for c in columns}, "rows": g["count_all"]} for g in grouped]
    return sorted(rows, key=lambda r: tuple(str(r[c]) for c in columns))


@task(name="qa", cache_policy=NO_CACHE)
def qa_task(location: str, samples: int = 16) -> QAReport:
    """Validates the dataset at ``location`` and writes its contact sheet (via ``synthgen.report``)."""
    logger = get_run_logger()
    store = DatasetStore(location, field="dataset")
    report = QAReport(problems=validate_dataset(location), counts=count_rows(store))
    if report.problems:
        logger.error("validation found %d problem(s): %s", len(report.problems), "; ".join(report.problems[:5]))
    else:
        logger.info("valid: every shard matches the manifest")
    if store.is_local and samples > 0:
        from synthgen.report import build_report

        try:
            inspected = build_report(Path(store.root), samples=samples)
        except Exception as exc:  # the data is already complete and validated: a failed sheet is only a note
            logger.warning("the contact sheet could not be drawn: %s", exc)
            report.notes.append(f"contact sheet failed: {exc}")
        else:
            report.summary = inspected.text
            report.contact_sheet = str(inspected.contact_sheet)
    else:
        report.notes.append("contact sheet: drawn for local folders only (run `synthgen inspect` on a copy)")
    return report
