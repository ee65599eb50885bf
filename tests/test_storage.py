"""Datasets on any filesystem: local paths, file:// and memory:// URLs, atomic writes, and the lock on object stores.

memory:// is fsspec's in-process filesystem, standing in for an object store (no network, no MinIO): it checks
that every file operation goes through the store, not that S3 itself behaves.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import socket
import time
import uuid
from pathlib import Path

import pytest

from synthgen.config import load_config
from synthgen.dataset.folder import MANIFEST_NAME, DatasetWriter, read_manifest
from synthgen.dataset.lock import LOCK_NAME, ObjectLock
from synthgen.dataset.storage import TEMP_PREFIX, DatasetStore
from synthgen.dataset.validate import validate_dataset
from synthgen.errors import StorageError, UsageError
from synthgen.pipeline.job import run_job
from tests.conftest import run_cli


@pytest.fixture
def memory_url() -> str:
    return f"memory://synthgen-tests/{uuid.uuid4().hex}"


def test_local_paths_and_file_urls_are_the_same_local_store(tmp_path: Path) -> None:
    for location in (str(tmp_path), f"file://{tmp_path}"):
        store = DatasetStore(location)
        assert store.is_local and store.root == str(tmp_path)
        store.write_atomic("a.bin", b"hello")
        assert (tmp_path / "a.bin").read_bytes() == b"hello" and store.read_bytes("a.bin") == b"hello"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_memory_urls_go_through_fsspec(memory_url: str) -> None:
    store = DatasetStore(memory_url)
    assert not store.is_local
    store.make_dirs("data")
    store.write_atomic("data/x.bin", memoryview(b"abc"))
    assert store.list_names() == ["data"] and store.list_names("data") == ["x.bin"]
    assert store.is_file("data/x.bin") and store.size("data/x.bin") == 3
    assert store.sha256("data/x.bin") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    store.delete("data/x.bin")
    store.delete("data/x.bin")  # a missing file is not an error
    assert store.list_names("data") == []
    again = pickle.loads(pickle.dumps(store))  # what a Dask task receives
    assert again.location == memory_url and again.root == store.root


def test_an_unknown_scheme_is_a_one_line_usage_error() -> None:
    with pytest.raises(UsageError, match=r"^out: cannot open 'nosuchfs://x/y'") as info:
        DatasetStore("nosuchfs://x/y")
    assert "\n" not in str(info.value)


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disk full, simulated in-process: os.write stores part of the data, then fails with ENOSPC."""
    store = DatasetStore(tmp_path)
    store.write_atomic("shard.parquet", b"old shard")
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if len(data) > 4:
            return real_write(fd, bytes(data[:4]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StorageError) as info:
        store.write_atomic("shard.parquet", b"x" * 1000)
    assert str(info.value) == f"out: cannot write {tmp_path}/shard.parquet (No space left on device)"
    assert (tmp_path / "shard.parquet").read_bytes() == b"old shard"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard.parquet"]


def test_a_dataset_on_memory_storage_has_a_manifest_and_a_lock_object(memory_url: str) -> None:
    config = load_config("smoke", overrides={"out": memory_url})
    writer = DatasetWriter(config).open()
    assert writer.root is None
    try:
        lock = json.loads(writer.store.read_bytes(LOCK_NAME))
        assert lock["pid"] == os.getpid() and lock["host"] == socket.gethostname()
        assert read_manifest(memory_url)["complete"] is False
        with pytest.raises(UsageError, match=r"another synthgen run \(pid \d+ on .*\) is writing to 'memory://"):
            DatasetWriter(config).open()
    finally:
        writer.release()
    assert LOCK_NAME not in writer.store.list_names(), "a released lock object is deleted"
    assert MANIFEST_NAME in writer.store.list_names()
    DatasetWriter(config).open().release()  # free again


def test_a_stale_lock_object_is_taken_over(memory_url: str) -> None:
    store = DatasetStore(memory_url)
    dead_pid = 2**22 + 12345  # above the default pid_max: no such process
    store.write_atomic(
        LOCK_NAME, json.dumps({"host": socket.gethostname(), "pid": dead_pid, "token": "x", "heartbeat": 0}).encode()
    )
    ObjectLock(store).release()  # its process is gone on this host
    alive_elsewhere = {"host": "another-host", "pid": 1, "token": "y", "heartbeat": time.time()}
    store.write_atomic(LOCK_NAME, json.dumps(alive_elsewhere).encode())
    with pytest.raises(UsageError, match="pid 1 on another-host"):
        ObjectLock(store)
    store.write_atomic(LOCK_NAME, json.dumps(alive_elsewhere | {"heartbeat": time.time() - 3600}).encode())
    ObjectLock(store, stale_after_s=600).release()  # no heartbeat for an hour


def test_a_url_without_a_dataset_is_named_as_not_a_dataset(memory_url: str) -> None:
    with pytest.raises(UsageError, match="is not a synthgen dataset"):
        read_manifest(memory_url)


@pytest.mark.blender
def test_the_command_line_renders_into_a_file_url(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/ds"
    result = run_cli("render", "--preset", "smoke", "--out", url, "--no-progress")
    assert result.returncode == 0, result.stderr
    shards = sorted(f"{p.parent.name}/{p.name}" for p in (tmp_path / "ds" / "data").glob("*/*.parquet"))
    assert shards == ["test/shard-00000.parquet", "train/shard-00000.parquet", "train/shard-00001.parquet"]
    assert run_cli("validate", url).returncode == 0
    assert validate_dataset(tmp_path / "ds") == []


@pytest.mark.blender
def test_the_pipeline_renders_and_resumes_on_memory_storage(memory_url: str) -> None:
    config = load_config("smoke", overrides={"out": memory_url})
    first = run_job(config)
    assert (first.rows, first.shards_written) == (4, 2)
    assert validate_dataset(memory_url) == []
    store = DatasetStore(memory_url)
    assert b"4 rows" in store.read_bytes("README.md")  # the dataset card is written to object storage too
    before = {name: store.sha256(f"data/{name}") for name in ("train/shard-00000.parquet", "test/shard-00000.parquet")}
    again = run_job(config)
    assert (again.shards_written, again.shards_kept) == (0, 2)
    store.write_atomic("data/train/shard-00001.parquet", store.read_bytes("data/train/shard-00001.parquet")[:500])
    assert any("shard-00001.parquet" in p and "truncated" in p for p in validate_dataset(memory_url))
    third = run_job(config)
    assert (third.shards_written, third.shards_kept) == (1, 1)
    assert validate_dataset(memory_url) == []
    assert store.sha256("data/train/shard-00000.parquet") == before["train/shard-00000.parquet"]
