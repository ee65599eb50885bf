"""Writes one Parquet shard atomically: encoded in memory, then written whole (``DatasetStore.write_atomic``:
a temporary file renamed into place on a local disk, one object on object storage)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthgen import __version__
from synthgen.config import JobConfig
from synthgen.dataset.schema import SCHEMA_VERSION, column_names, dataset_schema, image_column_names
from synthgen.dataset.storage import TEMP_PREFIX, DatasetStore
from synthgen.errors import StorageError

log = logging.getLogger(__name__)

__all__ = ["TEMP_PREFIX", "ShardRecord", "encode_shard", "file_sha256", "write_shard"]

COMPRESSION = "zstd"


@dataclass(frozen=True)
class ShardRecord:
    """What the manifest keeps about a finished shard."""

    name: str
    rows: int
    bytes: int
    sha256: str
    render_start: int
    render_stop: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "renders": [self.render_start, self.render_stop],
        }


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _leaf_paths(name: str, dtype: pa.DataType) -> list[str]:
    """Parquet leaf column paths of an Arrow field (per-column options are keyed by these)."""
    if pa.types.is_struct(dtype):
        return [
            p
            for i in range(dtype.num_fields)
            for p in _leaf_paths(f"{name}.{dtype.field(i).name}", dtype.field(i).type)
        ]
    if pa.types.is_list(dtype) or pa.types.is_fixed_size_list(dtype) or pa.types.is_large_list(dtype):
        return _leaf_paths(f"{name}.list.element", dtype.value_type)
    return [name]


def _column_encodings(schema: pa.Schema) -> tuple[dict[str, str], list[str]]:
    """Every column is zstd-compressed (PNM pixels shrink about 3x; PNG bytes pass through zstd's raw blocks at
    memory speed). Image bytes are never dictionary-encoded: no two are alike."""
    compression: dict[str, str] = {}
    dictionary: list[str] = []
    for field in schema:
        for path in _leaf_paths(field.name, field.type):
            compression[path] = COMPRESSION
            if field.name not in image_column_names():
                dictionary.append(path)
    return compression, dictionary


PROVENANCE_KEY = b"synthgen_shard"  # schema metadata: what `synthgen repair` needs to rebuild a manifest


def shard_provenance(config: JobConfig, render_range: tuple[int, int]) -> dict[str, Any]:
    """What a shard says about itself: the job that made it (whole config and fingerprint) and its renders."""
    return {
        "schema_version": SCHEMA_VERSION,
        "synthgen_version": __version__,
        "fingerprint": config.content_fingerprint(),
        "renders": list(render_range),
        "config": config.model_dump(mode="json"),
    }


def encode_shard(
    rows: list[dict[str, Any]], row_group_rows: int, provenance: dict[str, Any] | None = None
) -> tuple[pa.Buffer, int]:
    """The Parquet bytes of ``rows`` (dicts keyed by the schema's columns) and their row count; ``provenance``
    (``shard_provenance``) goes into the schema metadata."""
    schema = dataset_schema()
    if provenance is not None:
        schema = schema.with_metadata({**schema.metadata, PROVENANCE_KEY: json.dumps(provenance).encode()})
    table = pa.Table.from_pydict({name: [row[name] for row in rows] for name in column_names()}, schema=schema)
    compression, dictionary_columns = _column_encodings(schema)
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(
        sink,
        schema,
        compression=compression,
        use_dictionary=dictionary_columns,
        write_statistics=True,
        write_page_checksum=True,  # CRC32 per page: every synthgen reader verifies them (dataset/integrity.py)
    ) as writer:
        writer.write_table(table, row_group_size=row_group_rows)
    return sink.getvalue(), table.num_rows


def write_shard(
    rows: list[dict[str, Any]],
    path: Path | str,
    row_group_rows: int,
    render_range: tuple[int, int],
    store: DatasetStore | None = None,
    provenance: dict[str, Any] | None = None,
) -> ShardRecord:
    """Writes ``rows`` to ``path`` (a local file, or with ``store`` a path relative to the store's root) and never
    leaves a partial file there. Raises StorageError when the output cannot be written (disk full, read-only)."""
    if store is None:
        store, path = DatasetStore(Path(path).parent), Path(path).name
    data, num_rows = encode_shard(rows, row_group_rows, provenance)
    folder = str(path).rsplit("/", 1)[0] if "/" in str(path) else ""
    if store.is_local and folder:
        try:
            store.make_dirs(folder)  # data/<split>/ appears with its first shard
        except OSError as exc:
            raise StorageError(
                f"{store.field}: cannot write {store.where(str(path))} ({exc.strerror or exc})"
            ) from None
    store.write_atomic(str(path), data)
    name = str(path).removeprefix("data/")  # the manifest names shards relative to data/: "train/shard-00000..."
    record = ShardRecord(name, num_rows, data.size, hashlib.sha256(memoryview(data)).hexdigest(), *render_range)
    log.debug("wrote %s (%d rows, %.1f MB)", store.where(str(path)), record.rows, record.bytes / 1e6)
    return record
