"""Where a dataset lives: a local folder or a URL, resolved to a pyarrow filesystem, its manifest and shards.

Locations resolve exactly as the writer's (``synthgen.dataset.storage.resolve_filesystem``): pyarrow's own filesystems
for ``file://``, ``s3://``, ``gs://``, ``hdfs://``, and fsspec for any other scheme (``memory://``, ``hf://``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from synthgen.dataset.folder import DATA_DIR_NAME, read_manifest
from synthgen.dataset.storage import is_url, resolve_filesystem
from synthgen.errors import UsageError


@dataclass(frozen=True)
class DatasetSource:
    """A resolved dataset location: ``filesystem`` + ``root`` (a path inside it) and how a person named it."""

    location: str
    filesystem: pafs.FileSystem
    root: str
    url_prefix: str | None  # "scheme://" for a URL, None for a local folder

    @property
    def is_local(self) -> bool:
        return self.url_prefix is None

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def shard_paths(self, manifest: dict[str, Any]) -> list[str]:
        """The finished shards the manifest lists (a shard still being written is never listed)."""
        return [self.path(DATA_DIR_NAME, entry["name"]) for entry in manifest["shards"]]

    def shard_urls(self, manifest: dict[str, Any]) -> list[str]:
        """Shard locations as other fsspec-based readers (Hugging Face ``datasets``) name them."""
        paths = self.shard_paths(manifest)
        return paths if self.url_prefix is None else [self.url_prefix + p.lstrip("/") for p in paths]


def resolve_source(path_or_url: str | Path) -> DatasetSource:
    text = str(path_or_url)
    if not is_url(text):
        text = str(Path(text).expanduser())
    filesystem, root = resolve_filesystem(text, "dataset")
    if isinstance(filesystem, pafs.LocalFileSystem):
        return DatasetSource(text, filesystem, root, None)
    return DatasetSource(text, filesystem, root, text.split("://", 1)[0] + "://")


def load_manifest(source: DatasetSource) -> dict[str, Any]:
    """The manifest; UsageError (exit 2, one line) when the location is not a synthgen dataset or has no shards."""
    manifest = read_manifest(source.root if source.is_local else source.location)
    if not manifest.get("shards"):
        raise UsageError(f"dataset: {source.location!r} has no finished shards yet")
    return manifest
