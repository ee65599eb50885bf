"""``synthgen repair DIR``: rebuilds a lost or truncated manifest from the shards' own metadata and checksums.

A shard is taken back only when it proves it is synthgen's: its name is a shard name, it is a regular file (no
link), every Parquet page passes its checksum, its columns are the dataset schema, and its schema metadata
(``shard_writer.shard_provenance``) holds a config whose fingerprint is the one recorded beside it and a render
range that is the one synthgen plans for that shard name. All shards must come from one job. Anything else is
left out (and named), never deleted; the rebuilt manifest is complete only when every planned shard is back, so
a later `synthgen render` into the folder renders just the missing ones.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from synthgen.config import JobConfig
from synthgen.dataset.folder import (
    DATA_DIR_NAME,
    MANIFEST_NAME,
    SHARD_NAME_PATTERN,
    SPLIT_DIRS,
    manifest_data,
    read_manifest,
)
from synthgen.dataset.lock import take_lock
from synthgen.dataset.schema import dataset_schema
from synthgen.dataset.shard_writer import PROVENANCE_KEY, ShardRecord
from synthgen.dataset.storage import DatasetStore
from synthgen.errors import UsageError

log = logging.getLogger(__name__)


@dataclass
class RepairResult:
    manifest_was: str  # "intact", "missing" or "unreadable (...)"
    kept: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # "data/x: why"
    complete: bool = False
    planned: int = 0  # render plans (shard indices) of the job
    plans_kept: int = 0


def _is_regular(store: DatasetStore, relative: str) -> bool:
    if store.is_local:
        try:
            return stat.S_ISREG(os.lstat(store.local_path(relative)).st_mode)
        except OSError:
            return False
    return store.is_file(relative)


def _prove(store: DatasetStore, name: str) -> tuple[dict[str, Any], ShardRecord]:
    """The shard's provenance and its manifest record; ValueError saying why it cannot be proven synthgen's."""
    relative = f"{DATA_DIR_NAME}/{name}"
    if not _is_regular(store, relative):
        raise ValueError("not a regular file")
    try:
        parquet = pq.ParquetFile(store.open_input_file(relative), page_checksum_verification=True)
        parquet.read()  # every page against its checksum
    except (OSError, pa.ArrowException) as exc:
        raise ValueError(f"unreadable or corrupt ({' '.join(str(exc).split())[:120]})") from None
    raw = (parquet.schema_arrow.metadata or {}).get(PROVENANCE_KEY)
    if raw is None:
        raise ValueError("no synthgen provenance in its metadata")
    try:
        provenance = json.loads(raw)
        config = JobConfig.model_validate(provenance["config"])
        start, stop = (int(v) for v in provenance["renders"])
    except (ValueError, KeyError, TypeError, ValidationError):
        raise ValueError("its synthgen metadata is unreadable") from None
    if config.content_fingerprint() != provenance.get("fingerprint"):
        raise ValueError("its config does not match its fingerprint")
    expected = dataset_schema()
    if parquet.schema_arrow.names != expected.names:
        raise ValueError("its columns are not the dataset schema")
    per_shard = config.dataset.renders_per_shard
    label = name.split("/")[-1]
    index = int(label.removeprefix("shard-").removesuffix(".parquet"))
    if start != index * per_shard or stop != min(config.num_renders, start + per_shard):
        raise ValueError(f"renders {start}..{stop} are not the ones synthgen plans for {name}")
    if name not in provenance.get("files", [name]):
        raise ValueError("its metadata does not list it among its render plan's files")
    size = store.size(relative)
    record = ShardRecord(name, parquet.metadata.num_rows, size, store.sha256(relative), start, stop)
    return provenance, record


def repair_dataset(location: str) -> RepairResult:
    """Rebuilds ``location``'s manifest from its shards (see the module docstring). UsageError (exit 2) when no
    shard can be proven synthgen's or the shards come from different jobs."""
    store = DatasetStore(location, field="dataset")
    if not store.is_dir():
        raise UsageError(f"repair: {store.where()!r} is not a folder")
    written: dict[str, str] = {}
    try:
        old = read_manifest(store)
        written = dict(old.get("written", {}))
        manifest_was = "intact"
    except UsageError as exc:
        manifest_was = "missing" if not store.is_file(MANIFEST_NAME) else f"unreadable ({exc})"
    names = [n for n in store.list_names(DATA_DIR_NAME) if n.endswith(".parquet")]
    names += [f"{split}/{n}" for split in SPLIT_DIRS for n in store.list_names(f"{DATA_DIR_NAME}/{split}")]
    if not names:
        raise UsageError(f"repair: {store.where(DATA_DIR_NAME)!r} holds no shards; nothing to rebuild from")
    lock = take_lock(store)
    try:
        result = RepairResult(manifest_was)
        proven: dict[str, tuple[dict[str, Any], ShardRecord]] = {}
        for name in names:
            if not SHARD_NAME_PATTERN.fullmatch(name):
                result.left_out.append(f"{DATA_DIR_NAME}/{name}: not a synthgen shard name")
                continue
            try:
                proven[name] = _prove(store, name)
            except ValueError as why:
                result.left_out.append(f"{DATA_DIR_NAME}/{name}: {why}")
        fingerprints = {provenance["fingerprint"] for provenance, _ in proven.values()}
        if not proven:
            raise UsageError(
                f"repair: no shard in {store.where(DATA_DIR_NAME)!r} can be proven synthgen's "
                f"({result.left_out[0] if result.left_out else 'none found'}); the manifest was not written"
            )
        if len(fingerprints) > 1:
            raise UsageError(
                f"repair: the shards in {store.where(DATA_DIR_NAME)!r} come from {len(fingerprints)} different jobs "
                f"(fingerprints {', '.join(sorted(fingerprints))}); move the foreign ones out first"
            )
        provenance = next(iter(proven.values()))[0]
        config = JobConfig.model_validate(provenance["config"])
        config = config.model_copy(update={"out": location})
        # A render plan is taken back only whole: every file its shards' metadata lists must be proven.
        for name, (shard_meta, _) in list(proven.items()):
            missing = [f for f in shard_meta.get("files", [name]) if f not in proven]
            if missing:
                result.left_out.append(f"{DATA_DIR_NAME}/{name}: its plan's {missing[0]} is missing or unproven")
        for name, (shard_meta, _) in list(proven.items()):
            if any(f not in proven for f in shard_meta.get("files", [name])):
                proven.pop(name)
        if not proven:
            raise UsageError(f"repair: no whole render plan in {store.where(DATA_DIR_NAME)!r}; nothing to rebuild")
        records = [record for _, record in proven.values()]
        per_shard = config.dataset.renders_per_shard
        result.planned = -(-config.num_renders // per_shard)
        result.kept = sorted(r.name for r in records)
        result.plans_kept = len({(r.render_start, r.render_stop) for r in records})
        result.complete = result.plans_kept == result.planned
        data = manifest_data(config, records, written, result.complete)
        store.write_atomic(MANIFEST_NAME, (json.dumps(data, indent=2) + "\n").encode())
    finally:
        lock.release()
    log.debug("repair: manifest of %s rebuilt from %d shard(s)", store.where(), len(records))
    return result
