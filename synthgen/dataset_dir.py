"""An output folder: its manifest, its lock, and the rules for creating, resuming and replacing it.

Layout: ``OUT/manifest.json``, ``OUT/data/shard-NNNNN.parquet``, ``OUT/contact_sheet.png`` (from ``inspect``)
and ``OUT/.synthgen.lock``. synthgen only ever deletes files it wrote: those the manifest lists, its own
temporary files and shard names in ``OUT/data``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from synthgen import __version__
from synthgen.config import JobConfig
from synthgen.dataset_schema import SCHEMA_VERSION
from synthgen.errors import UsageError
from synthgen.shard_writer import TEMP_PREFIX, ShardRecord, file_sha256

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
DATA_DIR_NAME = "data"
LOCK_NAME = ".synthgen.lock"
CONTACT_SHEET_NAME = "contact_sheet.png"
FORMAT_NAME = "synthgen-dataset"
SHARD_NAME_PATTERN = re.compile(r"shard-\d{5}\.parquet")
OWN_TOP_LEVEL = {MANIFEST_NAME, DATA_DIR_NAME, LOCK_NAME, CONTACT_SHEET_NAME}


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.parquet"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a dataset folder; UsageError (exit 2) when the folder is not a synthgen dataset."""
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise UsageError(f"dataset: {str(folder)!r} is not a folder")
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"dataset: {str(folder)!r} is not a synthgen dataset (no {MANIFEST_NAME})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"dataset: {path} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise UsageError(f"dataset: {path} is not a synthgen manifest (format is not {FORMAT_NAME!r})")
    return manifest


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}")
    temp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    os.replace(temp, path)


class DatasetWriter:
    """Owns an output folder for one run: validates it, locks it, keeps the manifest current."""

    def __init__(self, config: JobConfig, overwrite: bool = False) -> None:
        self.config = config
        self.root = Path(config.out)
        self.data_dir = self.root / DATA_DIR_NAME
        self.overwrite = overwrite
        self.shards: dict[str, ShardRecord] = {}
        self._lock_handle: Any = None

    # -- opening ---------------------------------------------------------------------------------------------
    def open(self) -> DatasetWriter:
        """Checks the folder (before any work), takes the lock and finds the shards that can be kept."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise UsageError(f"out: {str(root)!r} exists and is not a folder")
        existing = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        manifest = None
        if MANIFEST_NAME in existing:
            manifest = read_manifest(root)
        elif existing and existing != [LOCK_NAME]:
            shown = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
            raise UsageError(
                f"out: {str(root)!r} is not empty and is not a synthgen dataset (found {shown}); "
                "choose an empty or new folder"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            self.data_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise UsageError(f"out: cannot create {str(root)!r} ({exc.strerror})") from None
        if not os.access(root, os.W_OK):
            raise UsageError(f"out: {str(root)!r} is not writable")
        self._take_lock()
        if manifest is not None:
            if manifest.get("fingerprint") == self.config.content_fingerprint():
                self._keep_valid_shards(manifest)
            elif self.overwrite:
                self._remove_own_files(manifest)
            else:
                self.release()
                raise UsageError(
                    f"out: {str(root)!r} holds a different dataset (seed {manifest.get('seed')}, "
                    f"{manifest.get('num_renders')} renders, fingerprint {manifest.get('fingerprint')}); "
                    "pass --overwrite to replace it, or choose another --out"
                )
        self._remove_temp_files()
        self.write_manifest(complete=False)
        return self

    def _take_lock(self) -> None:
        handle = open(self.root / LOCK_NAME, "a+")  # noqa: SIM115 (held open for the whole run)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise UsageError(f"out: another synthgen run ({holder}) is writing to {str(self.root)!r}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock_handle = handle

    def release(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    def _keep_valid_shards(self, manifest: dict[str, Any]) -> None:
        for entry in manifest.get("shards", []):
            path = self.data_dir / entry["name"]
            if path.is_file() and path.stat().st_size == entry["bytes"] and file_sha256(path) == entry["sha256"]:
                self.shards[entry["name"]] = ShardRecord(
                    entry["name"], entry["rows"], entry["bytes"], entry["sha256"], *entry["renders"]
                )
            else:
                log.warning(
                    "shard %s is missing or does not match the manifest: it will be rendered again",
                    entry["name"],
                )
        if self.shards:
            log.info("resuming: %d finished shard(s) kept", len(self.shards))

    def _remove_own_files(self, manifest: dict[str, Any]) -> None:
        log.info("--overwrite: removing the previous dataset's files from %s", self.root)
        for entry in manifest.get("shards", []):
            (self.data_dir / entry["name"]).unlink(missing_ok=True)
        for path in self.data_dir.iterdir():
            if SHARD_NAME_PATTERN.fullmatch(path.name):
                path.unlink()
        (self.root / CONTACT_SHEET_NAME).unlink(missing_ok=True)

    def _remove_temp_files(self) -> None:
        for folder in (self.root, self.data_dir):
            for path in folder.glob(f"{TEMP_PREFIX}*"):
                path.unlink(missing_ok=True)

    # -- progress --------------------------------------------------------------------------------------------
    def shard_path(self, name: str) -> Path:
        return self.data_dir / name

    def record_shard(self, record: ShardRecord) -> None:
        self.shards[record.name] = record
        self.write_manifest(complete=False)

    def write_manifest(self, complete: bool) -> None:
        config = self.config
        shards = [self.shards[name].to_json() for name in sorted(self.shards)]
        write_json_atomic(
            self.root / MANIFEST_NAME,
            {
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
                "config": config.model_dump(mode="json"),
            },
        )
