"""Where a dataset lives: a local folder or a filesystem URL, and how files are written there atomically.

``DatasetStore("outputs/x")``, ``DatasetStore("file:///data/x")``, ``DatasetStore("s3://bucket/prefix")`` (and
``gs://``, ``hdfs://``, ``abfs://``: pyarrow's own filesystems) or any fsspec protocol such as ``memory://``.
Every file operation on a dataset goes through this class, so the same code writes to a local disk and to
object storage.

A file only ever appears complete under its final name:

- local filesystem: written to a temporary file in the same folder, fsync'ed, then renamed (``os.replace``);
- fsspec filesystems: one ``pipe_file`` call with the whole object (a single PUT on object stores);
- pyarrow's object-store filesystems (S3, GCS): the whole object is written with one ``write`` into one output
  stream (on S3 a multipart upload, completed when the stream is closed); the object appears only then, whole,
  and a process that dies before that leaves no object (S3 keeps the parts of an unfinished upload until a
  bucket lifecycle rule aborts it).

Nothing is ever streamed into the final key piece by piece.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from synthgen.errors import StorageError, UsageError

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
READ_BLOCK = 1 << 20

Bytes = bytes | bytearray | memoryview | pa.Buffer


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def is_url(location: str) -> bool:
    return "://" in location


def resolve_filesystem(location: str, field: str) -> tuple[pafs.FileSystem, str]:
    """A folder or URL -> (pyarrow filesystem, path inside it); UsageError naming ``field`` when unreachable."""
    if not is_url(location):
        return pafs.LocalFileSystem(), os.path.abspath(location)
    try:
        fs, path = pafs.FileSystem.from_uri(location)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as arrow_error:
        # A scheme pyarrow does not know natively (memory://, and anything else fsspec knows).
        try:
            import fsspec

            fsspec_fs, path = fsspec.core.url_to_fs(location)
        except (ImportError, ValueError) as exc:
            raise UsageError(
                f"{field}: cannot open {location!r}: neither pyarrow ({arrow_error}) nor fsspec ({exc}) knows it"
            ) from None
        return pafs.PyFileSystem(pafs.FSSpecHandler(fsspec_fs)), path.rstrip("/")
    except OSError as exc:  # e.g. an S3 bucket whose region cannot be looked up
        raise UsageError(f"{field}: cannot open {location!r} ({_reason(exc)})") from None
    return fs, path.rstrip("/")


class DatasetStore:
    """The root of one dataset on some filesystem; paths given to methods are relative to it ("data/x")."""

    def __init__(self, location: str | os.PathLike[str], field: str = "out") -> None:
        self.location = str(location)
        self.field = field
        self.fs, self.root = resolve_filesystem(self.location, field)
        self.is_local = isinstance(self.fs, pafs.LocalFileSystem)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by location (for Dask workers): the filesystem is opened again in the other process, and a local
        # path travels absolute (another process may have another working directory).
        return (DatasetStore, (self.root if self.is_local else self.location, self.field))

    def __repr__(self) -> str:
        return f"DatasetStore({self.location!r})"

    # -- names -----------------------------------------------------------------------------------------------
    def path(self, relative: str = "") -> str:
        """The path inside the filesystem."""
        return f"{self.root}/{relative}" if relative else self.root

    def local_path(self, relative: str = "") -> Path:
        if not self.is_local:
            raise ValueError(f"{self.location} is not on the local filesystem")
        return Path(self.path(relative))

    def where(self, relative: str = "") -> str:
        """How messages name a file: a local path, or the URL."""
        base = self.root if self.is_local else self.location.split("?", 1)[0].rstrip("/")
        return f"{base}/{relative}" if relative else base

    # -- reading ---------------------------------------------------------------------------------------------
    def file_type(self, relative: str = "") -> pafs.FileType:
        return self.fs.get_file_info(self.path(relative)).type

    def is_dir(self, relative: str = "") -> bool:
        return self.file_type(relative) == pafs.FileType.Directory

    def is_file(self, relative: str) -> bool:
        return self.file_type(relative) == pafs.FileType.File

    def size(self, relative: str) -> int:
        return self.fs.get_file_info(self.path(relative)).size

    def list_names(self, relative: str = "") -> list[str]:
        """Names directly inside a folder (empty when it does not exist)."""
        selector = pafs.FileSelector(self.path(relative), allow_not_found=True, recursive=False)
        return sorted(info.base_name for info in self.fs.get_file_info(selector))

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open_input_stream(self.path(relative)) as stream:
            return stream.readall()

    def open_input_file(self, relative: str) -> pa.NativeFile:
        """A random-access file (what ``pyarrow.parquet.ParquetFile`` needs)."""
        return self.fs.open_input_file(self.path(relative))

    def sha256(self, relative: str) -> str:
        digest = hashlib.sha256()
        with self.fs.open_input_stream(self.path(relative)) as stream:
            while block := stream.read(READ_BLOCK):
                digest.update(block)
        return digest.hexdigest()

    # -- writing ---------------------------------------------------------------------------------------------
    def make_dirs(self, relative: str = "") -> None:
        if self.is_local:  # os's error names the reason plainly ("Read-only file system")
            os.makedirs(self.path(relative), exist_ok=True)
        else:
            self.fs.create_dir(self.path(relative), recursive=True)

    def delete(self, relative: str) -> None:
        """Removes a file; a missing one is not an error."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.path(relative))

    def write_atomic(self, relative: str, data: Bytes) -> None:
        """Writes a whole file so that readers see the old file or the new one, never a part.

        Raises StorageError (one line: the file and the reason, e.g. "No space left on device").
        """
        try:
            if self.is_local:
                _replace_local(Path(self.path(relative)), data)
            elif isinstance(self.fs, pafs.PyFileSystem) and isinstance(self.fs.handler, pafs.FSSpecHandler):
                self.fs.handler.fs.pipe_file(self.path(relative), bytes(memoryview(data)))
            else:
                with self.fs.open_output_stream(self.path(relative)) as stream:
                    stream.write(data)
        except OSError as exc:
            raise StorageError(f"{self.field}: cannot write {self.where(relative)} ({_reason(exc)})") from None


def temp_name(name: str) -> str:
    """A temporary name beside ``name``, unique per process and thread; ``DatasetWriter`` removes leftovers."""
    return f"{TEMP_PREFIX}{name}.{os.getpid()}-{threading.get_native_id()}"


def _replace_local(path: Path, data: Bytes) -> None:
    temp = path.with_name(temp_name(path.name))
    view = memoryview(data).cast("B")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            written = 0
            while written < len(view):
                written += os.write(fd, view[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Makes the rename itself durable (a power cut after it keeps the new name)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
