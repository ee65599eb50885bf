"""Where a dataset lives: a local folder or a URL, resolved to a pyarrow filesystem, its manifest and shards.

URLs pyarrow understands natively (``file://``, ``s3://``, ``gs://``, ``hdfs://``) use pyarrow's own
filesystems; any other scheme goes through ``fsspec`` (``memory://``, ``az://``, ``hf://``, ... whatever fsspec
implementations are installed), wrapped so pyarrow reads it all the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from synthgen.dataset_dir import DATA_DIR_NAME, FORMAT_NAME, MANIFEST_NAME, read_manifest
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
    if "://" not in text:
        return DatasetSource(text, pafs.LocalFileSystem(), str(Path(text).expanduser().absolute()), None)
    scheme = text.split("://", 1)[0]
    try:
        filesystem, root = pafs.FileSystem.from_uri(text)
    except pa.ArrowInvalid:  # a scheme pyarrow has no filesystem for: ask fsspec
        filesystem, root = _fsspec_filesystem(text)
    except OSError as exc:
        raise UsageError(f"dataset: cannot reach {text!r} ({exc})") from None
    if isinstance(filesystem, pafs.LocalFileSystem):
        return DatasetSource(text, filesystem, root, None)
    return DatasetSource(text, filesystem, root, f"{scheme}://")


def _fsspec_filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"dataset: {url!r} needs fsspec for its scheme (pip install fsspec)") from None
    try:
        filesystem, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"dataset: no filesystem for {url!r} ({exc})") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem)), root


def load_manifest(source: DatasetSource) -> dict[str, Any]:
    """The manifest; UsageError (exit 2, one line) when the location is not a synthgen dataset."""
    if source.is_local:
        manifest = read_manifest(Path(source.root))
    else:
        where = source.path(MANIFEST_NAME)
        try:
            with source.filesystem.open_input_stream(where) as stream:
                text = stream.read().decode("utf-8")
        except FileNotFoundError:
            raise UsageError(f"dataset: {source.location!r} is not a synthgen dataset (no {MANIFEST_NAME})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"dataset: cannot read {source.location}/{MANIFEST_NAME} ({exc})") from None
        try:
            manifest = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"dataset: {source.location}/{MANIFEST_NAME} is not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise UsageError(f"dataset: {source.location}/{MANIFEST_NAME} is not a synthgen manifest")
    if not manifest.get("shards"):
        raise UsageError(f"dataset: {source.location!r} has no finished shards yet")
    return manifest
