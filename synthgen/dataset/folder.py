"""An output folder: its manifest, its lock, and the rules for creating, resuming and replacing it.

Layout: ``OUT/manifest.json``, ``OUT/data/<split>/shard-NNNNN.parquet`` (split: train, validation, test),
``OUT/README.md`` (the card), ``OUT/contact_sheet.png`` and ``OUT/report/index.html`` (from ``inspect``) and
``OUT/.synthgen.lock``.

Names read from a manifest are never trusted as paths: a shard name must match ``SHARD_NAME_PATTERN`` exactly
(anything else is a corrupt manifest). ``--overwrite`` deletes only (a) shards the manifest lists, (b) the card,
contact sheet and report page when they are still byte-identical to what synthgen wrote (their sha256 is kept
in the manifest's ``written`` map), and (c) synthgen's own temporary files; it never follows a symbolic link and
never deletes a file that is not a regular file. ``OUT`` is a local folder or a filesystem URL (``s3://...``,
``file://...``, ``memory://...``): every file operation goes through ``synthgen.dataset.storage.DatasetStore``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from synthgen import __version__
from synthgen.config import JobConfig, settings_that_differ
from synthgen.dataset.lock import LOCK_NAME, DatasetLock, take_lock
from synthgen.dataset.schema import SCHEMA_VERSION
from synthgen.dataset.shard_writer import TEMP_PREFIX, ShardRecord
from synthgen.dataset.storage import DatasetStore
from synthgen.errors import UsageError

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
DATA_DIR_NAME = "data"
CONTACT_SHEET_NAME = "contact_sheet.png"
FORMAT_NAME = "synthgen-dataset"
# Hugging Face's split names: each split's rows are in their own folder, data/<split>/shard-NNNNN.parquet
# (schema version 3). NNNNN is the render plan's shard index: one plan writes one file per split it holds.
SPLIT_DIRS = ("train", "validation", "test")
SHARD_NAME_PATTERN = re.compile(r"(train|validation|test)/shard-\d{5}\.parquet")
# Another schema version (2 and older wrote data/shard-NNNNN.parquet): either form, both stay inside data/.
OTHER_VERSION_SHARD_NAME_PATTERN = re.compile(r"((train|validation|test)/)?shard-\d{5}\.parquet")
CARD_NAME = "README.md"  # the dataset card, written at the end of a run
REPORT_DIR_NAME = "report"  # `synthgen inspect` writes report/index.html
REPORT_PAGE_NAME = "index.html"
# Files beside the shards that synthgen writes and may later remove (when unchanged): see record_written.
OWNED_EXTRA_FILES = (CARD_NAME, CONTACT_SHEET_NAME, f"{REPORT_DIR_NAME}/{REPORT_PAGE_NAME}")


_MISSING = object()


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def _parents(relative: str) -> list[str]:
    """ "data/x.parquet" -> ["data"]: the folders a relative path goes through."""
    parts = relative.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def plan_label(index: int) -> str:
    """The name of render plan ``index`` (its files are ``<split>/<label>``)."""
    return f"shard-{index:05d}.parquet"


def shard_name(index: int, split: str) -> str:
    if split not in SPLIT_DIRS:
        raise ValueError(f"split {split!r} is not one of {SPLIT_DIRS}")
    return f"{split}/{plan_label(index)}"


def name_pattern(manifest: dict[str, Any]) -> re.Pattern[str]:
    """The shard names a manifest of this schema version may hold."""
    version = manifest.get("schema_version")
    return SHARD_NAME_PATTERN if version == SCHEMA_VERSION else OTHER_VERSION_SHARD_NAME_PATTERN


def read_manifest(folder: Path | str | DatasetStore) -> dict[str, Any]:
    """The manifest of a dataset (a folder, a URL or a store); UsageError (exit 2) when it is not a synthgen
    dataset."""
    store = folder if isinstance(folder, DatasetStore) else DatasetStore(folder, field="dataset")
    shown = store.location
    if store.is_local and not store.is_dir():
        raise UsageError(f"dataset: {shown!r} is not a folder")
    try:
        manifest = json.loads(store.read_bytes(MANIFEST_NAME))
    except FileNotFoundError:
        raise UsageError(f"dataset: {shown!r} is not a synthgen dataset (no {MANIFEST_NAME})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"dataset: {store.where(MANIFEST_NAME)} is not valid JSON ({exc})") from None
    except OSError as exc:
        raise UsageError(f"dataset: cannot read {store.where(MANIFEST_NAME)} ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise UsageError(
            f"dataset: {store.where(MANIFEST_NAME)} is not a synthgen manifest (format is not {FORMAT_NAME!r})"
        )
    check_manifest_entries(manifest, store.where(MANIFEST_NAME))
    return manifest


def check_manifest_entries(manifest: dict[str, Any], where: str) -> None:
    """UsageError (exit 2) naming the first shard entry that is not exactly what synthgen writes: a name such as
    ``../../x`` is a corrupt (or hostile) manifest, never a path to open or delete."""
    shards = manifest.get("shards")
    pattern = name_pattern(manifest)
    if not isinstance(shards, list):
        raise UsageError(f"dataset: {where} is corrupt (shards is not a list); `synthgen repair` rebuilds it")
    for entry in shards:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not pattern.fullmatch(name):
            raise UsageError(
                f"dataset: {where} is corrupt: shard name {name!r} is not a synthgen shard name "
                f"({pattern.pattern}); `synthgen repair` rebuilds the manifest from the shards"
            )
        fields = ("rows", "bytes", "sha256", "renders")
        if not all(key in entry for key in fields) or not isinstance(entry["sha256"], str):
            raise UsageError(f"dataset: {where} is corrupt: shard entry {name!r} lacks one of {', '.join(fields)}")
    written = manifest.get("written", {})
    if not isinstance(written, dict) or not set(written) <= set(OWNED_EXTRA_FILES):
        raise UsageError(f"dataset: {where} is corrupt: 'written' names files synthgen does not write")


def record_written(store: DatasetStore, relative: str, data: bytes) -> None:
    """Notes in the manifest the sha256 of a file synthgen wrote beside the shards (card, report, contact sheet),
    so ``--overwrite`` can later tell it from a file the user edited or put there."""
    manifest = read_manifest(store)
    manifest.setdefault("written", {})[relative] = hashlib.sha256(data).hexdigest()
    store.write_atomic(MANIFEST_NAME, (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode())


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    DatasetStore(path.parent).write_atomic(path.name, (json.dumps(data, indent=2, sort_keys=False) + "\n").encode())


class DatasetWriter:
    """Owns an output folder for one run: validates it, locks it, keeps the manifest current.

    ``record_shard`` and ``write_manifest`` are serialised by a lock, so concurrent tasks in one process may
    record their shards; tasks in other processes (Dask) write shards through ``store`` and return their
    ``ShardRecord`` for the owner of the writer to record.
    """

    def __init__(self, config: JobConfig, overwrite: bool = False) -> None:
        self.config = config
        self.store = DatasetStore(config.out)  # an unusable URL fails here, before any work
        self.root: Path | None = self.store.local_path() if self.store.is_local else None  # local folders only
        self.data_dir: Path | None = self.root / DATA_DIR_NAME if self.root else None
        self.overwrite = overwrite
        self.shards: dict[str, ShardRecord] = {}
        # What render.device resolved to (synthgen.pipeline.devices), set by whoever renders into the dataset.
        self.render_device: dict[str, Any] | None = None
        self.written: dict[str, str] = {}  # card/report/contact sheet -> sha256 of what synthgen wrote
        self._lock: DatasetLock | None = None
        self._manifest_lock = threading.RLock()

    # -- opening ---------------------------------------------------------------------------------------------
    def open(self) -> DatasetWriter:
        """Checks the folder (before any work), takes the lock and finds the shards that can be kept."""
        store, shown = self.store, self.store.where()
        try:
            exists_as_file = store.is_file("")
            existing = store.list_names() if store.is_dir() else []
        except OSError as exc:
            raise UsageError(f"out: cannot read {shown!r} ({getattr(exc, 'strerror', None) or exc})") from None
        if exists_as_file:
            raise UsageError(f"out: {shown!r} exists and is not a folder")
        manifest = None
        if MANIFEST_NAME in existing:
            manifest = read_manifest(store)
        elif existing and existing != [LOCK_NAME]:
            listed = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
            raise UsageError(
                f"out: {shown!r} is not empty and is not a synthgen dataset (found {listed}); "
                "choose an empty or new folder"
            )
        try:
            store.make_dirs(DATA_DIR_NAME)
        except OSError as exc:
            raise UsageError(f"out: cannot create {shown!r} ({getattr(exc, 'strerror', None) or exc})") from None
        if self.root is not None and not os.access(self.root, os.W_OK):
            raise UsageError(f"out: {shown!r} is not writable")
        try:
            self._lock = take_lock(store)
        except OSError as exc:
            raise UsageError(f"out: cannot lock {shown!r} ({getattr(exc, 'strerror', None) or exc})") from None
        try:  # from here on the lock is ours: release it on any failure
            if manifest is not None:
                old_version = manifest.get("schema_version")
                if old_version != SCHEMA_VERSION and not self.overwrite:
                    raise UsageError(
                        f"out: {shown!r} holds a dataset of schema version {old_version!r} (this synthgen writes "
                        f"{SCHEMA_VERSION}: docs/dataset-format.md); pass --overwrite to re-render it, "
                        "or choose another --out"
                    )
                if old_version != SCHEMA_VERSION:
                    self._remove_own_files(manifest)
                elif manifest.get("fingerprint") == self.config.content_fingerprint():
                    self._keep_valid_shards(manifest)
                    self.written = dict(manifest.get("written", {}))
                elif self.overwrite:
                    self._remove_own_files(manifest)
                else:
                    raise UsageError(
                        f"out: {shown!r} holds a different dataset ({self._what_differs(manifest)}); "
                        "pass --overwrite to replace it, or choose another --out"
                    )
            self._remove_temp_files()
            self.write_manifest(complete=False)
        except BaseException:
            self.release()
            raise
        return self

    def _what_differs(self, manifest: dict[str, Any]) -> str:
        """The settings this run changes against the dataset in the folder, with both values."""
        old = manifest.get("config")
        new = self.config.content_settings()
        if not isinstance(old, dict):
            return f"fingerprint {manifest.get('fingerprint')}, this run's {self.config.content_fingerprint()}"
        keys = [k for k in settings_that_differ(old, new) if _lookup(new, k) is not _MISSING]
        if not keys:
            return f"fingerprint {manifest.get('fingerprint')}, this run's {self.config.content_fingerprint()}"
        shown = [f"{k} was {_lookup(old, k)!r}, now {_lookup(new, k)!r}" for k in keys[:3]]
        more = f" and {len(keys) - 3} more setting(s)" if len(keys) > 3 else ""
        return "; ".join(shown) + more

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _shard_matches(self, entry: dict[str, Any]) -> bool:
        relative = f"{DATA_DIR_NAME}/{entry['name']}"
        return (
            self.store.is_file(relative)
            and self.store.size(relative) == entry["bytes"]
            and self.store.sha256(relative) == entry["sha256"]
        )

    def _keep_valid_shards(self, manifest: dict[str, Any]) -> None:
        """Keeps every render plan whose files all still match the manifest; a plan with one bad file is
        rendered again whole (its files are rewritten under the same names)."""
        plans: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for entry in manifest.get("shards", []):
            plans.setdefault(tuple(entry["renders"]), []).append(entry)
        for entries in plans.values():
            bad = [entry["name"] for entry in entries if not self._shard_matches(entry)]
            if bad:
                log.warning(
                    "shard %s is missing or does not match the manifest: renders %d..%d will be rendered again",
                    bad[0],
                    *entries[0]["renders"],
                )
                continue
            for entry in entries:
                self.shards[entry["name"]] = ShardRecord(
                    entry["name"], entry["rows"], entry["bytes"], entry["sha256"], *entry["renders"]
                )
        if self.shards:
            log.info("resuming: %d finished shard file(s) kept", len(self.shards))

    def is_done(self, render_start: int, render_stop: int) -> bool:
        """Whether the render plan covering ``render_start..render_stop`` is finished (all its files kept)."""
        return any((r.render_start, r.render_stop) == (render_start, render_stop) for r in self.shards.values())

    def _remove_own_files(self, manifest: dict[str, Any]) -> None:
        """Deletes the previous dataset's files, and nothing else (see the module docstring)."""
        log.info("--overwrite: removing the previous dataset's files from %s", self.store.where())
        for entry in manifest.get("shards", []):  # names already checked against SHARD_NAME_PATTERN
            self._delete_regular(f"{DATA_DIR_NAME}/{entry['name']}")
        for relative, digest in manifest.get("written", {}).items():
            if self._is_regular(relative) and self.store.sha256(relative) == digest:
                self._delete_regular(relative)
            elif self._is_regular(relative) or self.store.file_type(relative) != pafs.FileType.NotFound:
                log.warning("--overwrite: keeping %s (changed since synthgen wrote it)", self.store.where(relative))
        if self.root is not None:
            for folder in (REPORT_DIR_NAME, *(f"{DATA_DIR_NAME}/{split}" for split in SPLIT_DIRS)):
                with contextlib.suppress(OSError):  # only when empty: anything else in there is not ours
                    (self.root / folder).rmdir()

    def _is_regular(self, relative: str) -> bool:
        """A regular file, not a symbolic link (local: lstat, so a link is never followed)."""
        if self.root is not None:
            try:
                return stat.S_ISREG(os.lstat(self.root / relative).st_mode) and not any(
                    (self.root / part).is_symlink() for part in _parents(relative)
                )
            except OSError:
                return False
        return self.store.is_file(relative)

    def _delete_regular(self, relative: str) -> None:
        if self._is_regular(relative):
            self.store.delete(relative)
        elif self.root is not None and os.path.lexists(self.root / relative):
            log.warning("--overwrite: keeping %s (not a regular file)", self.store.where(relative))

    def _remove_temp_files(self) -> None:
        for folder in ("", DATA_DIR_NAME, *(f"{DATA_DIR_NAME}/{split}" for split in SPLIT_DIRS)):
            for name in self.store.list_names(folder):
                relative = f"{folder}/{name}" if folder else name
                if name.startswith(TEMP_PREFIX) and self._is_regular(relative):
                    self.store.delete(relative)

    # -- progress --------------------------------------------------------------------------------------------
    def shard_path(self, name: str) -> str:
        """A shard's path relative to the dataset root (for ``store``)."""
        return f"{DATA_DIR_NAME}/{name}"

    def record_shard(self, record: ShardRecord) -> None:
        self.record_shards([record])

    def record_shards(self, records: list[ShardRecord]) -> None:
        """Records the files of one render plan together (one manifest write), so a plan is all in or not."""
        with self._manifest_lock:
            for record in records:
                self.shards[record.name] = record
            self.write_manifest(complete=False)

    def write_manifest(self, complete: bool) -> None:
        with self._manifest_lock:
            self._write_manifest(complete)

    def _write_manifest(self, complete: bool) -> None:
        manifest = manifest_data(self.config, list(self.shards.values()), self.written, complete)
        manifest["render_device"] = self.render_device or {"requested": self.config.render.device}
        self.store.write_atomic(MANIFEST_NAME, (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode())


def manifest_data(
    config: JobConfig, records: list[ShardRecord], written: dict[str, str], complete: bool
) -> dict[str, Any]:
    """The manifest of a dataset made by ``config`` holding ``records`` (by the writer and by repair)."""
    shards = [record.to_json() for record in sorted(records, key=lambda r: r.name)]
    return {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "synthgen_version": __version__,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "complete": complete,
        "seed": config.seed,
        "num_renders": config.num_renders,
        "variants": config.variants,
        "fingerprint": config.content_fingerprint(),
        "rows": sum(s["rows"] for s in shards),
        "num_shards": len(shards),
        "shards": shards,
        "written": written,
        "config": config.model_dump(mode="json"),
    }
