"""Integrity checks on the way in: Parquet page checksums (CRC32 of every data page, written by the shard writer
and verified by every synthgen reader) and the manifest's size and sha256 of each shard, checked before a shard is
first read. Either way a corrupt shard is an error naming it and how to repair it, never wrong pixels."""

from __future__ import annotations

import logging
from typing import Any, Literal

import pyarrow.dataset as pads

from synthgen.errors import DatasetInvalid

log = logging.getLogger(__name__)

# Every synthgen reader scans Parquet through this format: data pages whose CRC does not match fail the read.
VERIFIED_PARQUET = pads.ParquetFileFormat(
    default_fragment_scan_options=pads.ParquetFragmentScanOptions(page_checksum_verification=True)
)

Verify = Literal["sha256", "size"]
VERIFY_CHOICES: tuple[str, ...] = ("sha256", "size")


def repair_hint(location: str) -> str:
    return (
        f"rerun `synthgen render` with the same config and --out {location} to re-render it "
        "(finished shards that still match are kept)"
    )


class CorruptShard(DatasetInvalid):
    """A shard that does not match its manifest entry or fails its page checksums."""


def corrupt(location: str, relative: str, what: str) -> CorruptShard:
    return CorruptShard(f"dataset: shard {relative} of {location} is corrupt ({what}); {repair_hint(location)}")


def check_shard(store: Any, relative: str, entry: dict[str, Any], verify: Verify, location: str) -> None:
    """Raises CorruptShard when the file at ``relative`` (through a DatasetStore) is missing, has another size
    than the manifest says, or (``verify="sha256"``) another sha256."""
    if not store.is_file(relative):
        raise corrupt(location, relative, "missing")
    size = store.size(relative)
    if size != entry["bytes"]:
        raise corrupt(location, relative, f"{size} bytes, the manifest says {entry['bytes']}")
    if verify == "sha256" and store.sha256(relative) != entry["sha256"]:
        raise corrupt(location, relative, "sha256 differs from the manifest")
