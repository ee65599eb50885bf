"""The output checks of a flow run, made by ``python -m flows`` before Prefect starts.

A bad output (a file, a foreign folder, another dataset without ``--overwrite``, a folder another run has locked)
then fails on one line and at once, instead of after the temporary Prefect server has started and with Prefect's
traceback of the failed flow run in front of it. The checks are ``DatasetWriter.open``'s own (the flow makes them
again); only its changes to the dataset are left out, so a check that passes hashes, deletes and rewrites nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from synthgen.config import JobConfig
from synthgen.dataset.folder import DatasetWriter
from synthgen.dataset.lock import LOCK_NAME
from synthgen.dataset.storage import DatasetStore
from synthgen.errors import UsageError


class _CheckingWriter(DatasetWriter):
    """``DatasetWriter.open`` without its effects: no shard hashed or kept, nothing removed, no manifest written.
    What remains is taking and releasing the lock (and ``data/`` if a dataset lost it)."""

    def _keep_valid_shards(self, manifest: dict[str, Any]) -> None:
        pass  # the flow hashes the shards it keeps; doing it here too would read a large dataset twice

    def _remove_own_files(self, manifest: dict[str, Any]) -> None:
        pass  # --overwrite deletes when the flow runs, not when it is checked

    def _remove_temp_files(self) -> None:
        pass

    def write_manifest(self, complete: bool) -> None:
        pass  # a complete dataset stays marked complete if Prefect then fails to start


def check_output(job: JobConfig, overwrite: bool) -> None:
    """Raises the flow's own UsageError (one line, exit 2) for an output the run would refuse.

    Only an output that already holds something is opened (a file or a foreign folder is refused before anything
    is created; a dataset gets its manifest, fingerprint and lock checked). A new or empty output is left for the
    flow to create: creating ``data/`` or the lock here would make the folder look foreign to the run."""
    store = DatasetStore(job.out)
    if store.is_file("") or [name for name in store.list_names() if name != LOCK_NAME]:
        _CheckingWriter(job, overwrite=overwrite).open().release()
    elif store.is_local:
        _check_creatable(Path(store.root), store.where())


def _check_creatable(folder: Path, shown: str) -> None:
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if not existing.is_dir():
        raise UsageError(f"out: {shown!r} cannot be created ({existing} is not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"out: {shown!r} cannot be created (no write permission in {existing})")
