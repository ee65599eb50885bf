"""The output checks of a flow run, made by ``python -m flows`` before Prefect starts.

A bad output (a file, a foreign folder, another dataset without ``--overwrite``, a folder another run has locked)
then fails on one line and at once, instead of after the temporary Prefect server has started and with Prefect's
traceback of the failed flow run in front of it. The checks are ``DatasetWriter.open``'s own (the flow makes them
again); only its changes to the dataset are left out, so a check that passes hashes, deletes and rewrites nothing.
"""

from __future__ import annotations

from typing import Any

from synthgen.config import JobConfig
from synthgen.dataset_dir import DatasetWriter


class _CheckingWriter(DatasetWriter):
    """``DatasetWriter.open`` without its effects: no shard hashed or kept, nothing removed, no manifest written.
    What remains is creating the (empty) output folder and taking and releasing the lock."""

    def _keep_valid_shards(self, manifest: dict[str, Any]) -> None:
        pass  # the flow hashes the shards it keeps; doing it here too would read a large dataset twice

    def _remove_own_files(self, manifest: dict[str, Any]) -> None:
        pass  # --overwrite deletes when the flow runs, not when it is checked

    def _remove_temp_files(self) -> None:
        pass

    def write_manifest(self, complete: bool) -> None:
        pass  # a complete dataset stays marked complete if Prefect then fails to start


def check_output(job: JobConfig, overwrite: bool) -> None:
    """Raises the flow's own UsageError (one line, exit 2) for an output the run would refuse."""
    _CheckingWriter(job, overwrite=overwrite).open().release()
