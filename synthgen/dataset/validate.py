"""``synthgen validate DIR|URL``: every shard checked against the manifest (rows, checksum, schema)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from synthgen.dataset.folder import DATA_DIR_NAME, SPLIT_DIRS, read_manifest
from synthgen.dataset.schema import SCHEMA_VERSION, dataset_schema
from synthgen.dataset.storage import DatasetStore


def _schema_problem(actual: pa.Schema, expected: pa.Schema) -> str | None:
    if actual.names != expected.names:
        missing = [n for n in expected.names if n not in actual.names]
        extra = [n for n in actual.names if n not in expected.names]
        return f"columns differ (missing {missing}, unexpected {extra})"
    for name in expected.names:
        if not actual.field(name).type.equals(expected.field(name).type):
            return f"column {name!r} is {actual.field(name).type}, expected {expected.field(name).type}"
    return None


def validate_dataset(folder: Path | str) -> list[str]:
    """Problems found, one line each; an empty list means the dataset is valid. ``folder`` may be a URL."""
    store = DatasetStore(folder, field="dataset")
    manifest = read_manifest(store)
    problems: list[str] = []
    expected_schema = dataset_schema()
    if manifest.get("schema_version") != SCHEMA_VERSION:
        return [
            f"manifest.json: schema_version {manifest.get('schema_version')!r}, this synthgen reads {SCHEMA_VERSION} "
            "(re-render it with --overwrite, or read it with the synthgen version that wrote it; "
            "docs/dataset-format.md says what changed)"
        ]
    listed = {entry["name"] for entry in manifest["shards"]}
    sample_ids: set[str] = set()
    rows = 0
    for entry in manifest["shards"]:
        where = f"{DATA_DIR_NAME}/{entry['name']}"
        if not store.is_file(where):
            problems.append(f"{where}: missing")
            continue
        if store.size(where) != entry["bytes"]:
            problems.append(f"{where}: {store.size(where)} bytes, manifest says {entry['bytes']} (truncated?)")
            continue
        if store.sha256(where) != entry["sha256"]:
            problems.append(f"{where}: sha256 differs from the manifest (corrupt or replaced)")
            continue
        try:
            parquet = pq.ParquetFile(store.open_input_file(where), page_checksum_verification=True)
        except (pa.ArrowInvalid, OSError) as exc:
            problems.append(f"{where}: not a readable Parquet file ({exc})")
            continue
        if parquet.metadata.num_rows != entry["rows"]:
            problems.append(f"{where}: {parquet.metadata.num_rows} rows, manifest says {entry['rows']}")
        schema_problem = _schema_problem(parquet.schema_arrow, expected_schema)
        if schema_problem:
            problems.append(f"{where}: {schema_problem}")
            continue
        ids = parquet.read(columns=["sample_id"]).column("sample_id").to_pylist()
        duplicates = sample_ids.intersection(ids) | {i for i, n in Counter(ids).items() if n > 1}
        if duplicates:
            problems.append(f"{where}: duplicate sample_id(s) {sorted(duplicates)[:3]}")
        sample_ids.update(ids)
        rows += parquet.metadata.num_rows
    if rows != manifest["rows"] and not problems:
        problems.append(f"manifest: rows is {manifest['rows']} but the shards hold {rows}")
    found = [name for name in store.list_names(DATA_DIR_NAME) if name.endswith(".parquet")]
    found += [f"{split}/{name}" for split in SPLIT_DIRS for name in store.list_names(f"{DATA_DIR_NAME}/{split}")]
    for name in found:
        if name.endswith(".parquet") and name not in listed:
            problems.append(f"{DATA_DIR_NAME}/{name}: not listed in the manifest")
    config = manifest.get("config", {})
    per_shard = config.get("dataset", {}).get("renders_per_shard")
    if per_shard:
        planned = math.ceil(manifest["num_renders"] / per_shard)
        present = len({tuple(entry["renders"]) for entry in manifest["shards"]})
        if present != planned:
            problems.append(f"manifest: {present} of {planned} planned shards are present (unfinished run?)")
    if not manifest.get("complete"):
        problems.append("manifest: the run that wrote this dataset has not finished (rerun it to resume)")
    return problems
