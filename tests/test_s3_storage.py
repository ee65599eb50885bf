"""Datasets on a REAL S3 API: moto's server (``moto[server]``) on 127.0.0.1, started once for the session as its own
process. The command line renders into ``s3://bucket/prefix``, is killed mid-run and resumes, a second writer is
refused by the lock object, the data is read back with ``open_dataset`` and Hugging Face ``datasets``, and a Prefect
flow's shard tasks run on Dask worker processes of their own (the multi-machine case) writing one dataset there.

The endpoint is configured as for any S3-compatible store: ``AWS_ENDPOINT_URL`` (read by pyarrow's S3 filesystem,
botocore and s3fs alike) or the pyarrow URL options ``?endpoint_override=HOST:PORT&scheme=http``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from prefect.client.orchestration import SyncPrefectClient

from synthgen.config import load_config
from synthgen.data import open_dataset
from synthgen.dataset.folder import DatasetWriter
from synthgen.dataset.url_options import fsspec_storage_options
from synthgen.dataset.validate import validate_dataset
from synthgen.errors import UsageError
from tests.conftest import REPO
from tests.fault_tools import RENDERS, SHARDS, SLOW_CONFIG, expected_ids, render_workers, started_cli, wait_for
from tests.live_services import (
    MotoServer,
    PrefectServer,
    free_port,
    moto_server,
    prefect_server,
    spawned,
    tail,
)

pytestmark = pytest.mark.s3

BUCKET = "synthgen-tests"
FINISHED_SHARD = re.compile(r"Task run 'render-(shard-\d{5}\.parquet)' - Finished in state Completed")


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        _s3_client(server).create_bucket(Bucket=BUCKET)
        yield server


def _s3_client(server: MotoServer) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_env(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The endpoint and credentials in this process's environment (pyarrow, s3fs and boto read them) and in the
    environment returned for subprocesses."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in moto.env().items():
        monkeypatch.setenv(key, value)
    return os.environ | moto.env()


def _prefix() -> str:
    return f"ds-{uuid.uuid4().hex[:12]}"


def _keys(moto: MotoServer, prefix: str) -> list[str]:
    listed = _s3_client(moto).list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")
    return sorted(obj["Key"].removeprefix(f"{prefix}/") for obj in listed.get("Contents", []))


def _object(moto: MotoServer, prefix: str, name: str) -> bytes:
    return _s3_client(moto).get_object(Bucket=BUCKET, Key=f"{prefix}/{name}")["Body"].read()


def _manifest_shards(moto: MotoServer, prefix: str) -> list[str]:
    try:
        return [s["name"] for s in json.loads(_object(moto, prefix, "manifest.json"))["shards"]]
    except _s3_client(moto).exceptions.NoSuchKey:
        return []


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "synthgen", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def _shard_objects(keys: list[str]) -> list[str]:
    return sorted(k for k in keys if k.startswith("data/") and k.endswith(".parquet"))


def _plans(keys: list[str]) -> list[str]:
    """The render plans whose files are there (data/<split>/shard-NNNNN.parquet -> shard-NNNNN.parquet)."""
    return sorted({k.rsplit("/", 1)[-1] for k in _shard_objects(keys)})


# The smoke preset (seed 0): render 0 falls in test, renders 1-3 in train; two renders per shard.
SMOKE_SHARDS = ["data/test/shard-00000.parquet", "data/train/shard-00000.parquet", "data/train/shard-00001.parquet"]


@pytest.fixture(scope="session")
def s3_dataset(moto: MotoServer) -> str:
    """The smoke preset rendered by the command line into s3://BUCKET/PREFIX once (4 renders, 2 shards)."""
    url = f"s3://{BUCKET}/{_prefix()}"
    done = _cli("render", "--preset", "smoke", "--out", url, "--no-progress", env=os.environ | moto.env())
    assert done.returncode == 0, done.stderr
    return url


def test_render_writes_a_valid_dataset_to_s3(moto: MotoServer, s3_dataset: str, s3_env: dict[str, str]) -> None:
    prefix = s3_dataset.removeprefix(f"s3://{BUCKET}/")
    keys = _keys(moto, prefix)
    assert _shard_objects(keys) == SMOKE_SHARDS
    assert "manifest.json" in keys and "README.md" in keys
    assert not [k for k in keys if ".tmp-" in k or k.endswith(".synthgen.lock")], keys  # no leftovers, lock released
    done = _cli("validate", s3_dataset, env=s3_env, timeout=120)
    assert done.returncode == 0 and done.stderr.strip() == f"valid: {s3_dataset}", done.stderr
    assert json.loads(_object(moto, prefix, "manifest.json"))["complete"] is True


def test_open_dataset_and_hugging_face_read_it_back(
    moto: MotoServer, s3_dataset: str, s3_env: dict[str, str], tmp_path: Path
) -> None:
    datasets = pytest.importorskip("datasets")
    ds = open_dataset(s3_dataset)
    ids = sorted(ds.to_arrow(columns=["sample_id"]).column("sample_id").to_pylist())
    assert ids == [f"s0-r{i:08d}-a000" for i in range(4)]
    rows = list(ds.reader(columns=["sample_id", "image"]).iter_rows())
    assert len(rows) == 4 and all(row["image"].shape == (64, 64, 3) for row in rows)

    hf = ds.filter(split="train").to_hf(cache_dir=str(tmp_path / "hf"))
    assert hf.num_rows == ds.filter(split="train").count_rows() > 0
    assert hf[0]["image"].size == (64, 64)
    # Hugging Face's own loader straight from the bucket (s3fs reads AWS_ENDPOINT_URL like pyarrow does).
    loaded = datasets.load_dataset(
        "parquet", data_files=f"{s3_dataset}/data/*/*.parquet", split="train", cache_dir=str(tmp_path / "hf2")
    )
    assert sorted(loaded["sample_id"]) == ids


def test_endpoint_options_in_the_url_reach_every_reader(
    moto: MotoServer, s3_dataset: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``s3://bucket/prefix?endpoint_override=HOST:PORT&scheme=http`` (docs/orchestration.md) with no
    AWS_ENDPOINT_URL: pyarrow reads the options from the URL, and ``to_hf`` passes them on to s3fs."""
    pytest.importorskip("datasets")
    for key, value in moto.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    url = f"{s3_dataset}?endpoint_override={moto.host_port}&scheme=http"
    assert validate_dataset(url) == []
    ds = open_dataset(url)
    assert ds.count_rows() == 4
    assert ds.to_hf(columns=["sample_id"], cache_dir=str(tmp_path / "hf")).num_rows == 4


def test_a_killed_render_resumes_on_s3(moto: MotoServer, s3_env: dict[str, str], tmp_path: Path) -> None:
    """SIGKILL the run (its process group) after its first shard is in the manifest, run it again: the finished
    shards are kept byte for byte, the rest rendered, every sample exactly once, and the dead run's lock object is
    taken over (it names a process that no longer exists)."""
    prefix = _prefix()
    url = f"s3://{BUCKET}/{prefix}"
    config = tmp_path / "slow.yaml"
    config.write_text(SLOW_CONFIG)
    args = ("render", "--config", str(config), "--out", url, "--no-progress")
    with started_cli(*args, log_dir=tmp_path / "first", env=s3_env) as run:
        wait_for(lambda: len(_manifest_shards(moto, prefix)) >= 1, 240, "the first shard in the manifest")
        workers = render_workers(run.pid)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 60, "orphaned workers to exit")
    kept = _manifest_shards(moto, prefix)
    assert 1 <= len(kept) < SHARDS
    assert ".synthgen.lock" in _keys(moto, prefix), "the killed run's lock object is left behind"
    before = {name: _object(moto, prefix, f"data/{name}") for name in kept}

    again = _cli(*args, env=s3_env)
    assert again.returncode == 0, again.stderr
    assert "taking over the lock" in again.stderr
    keys = _keys(moto, prefix)
    assert _plans(keys) == [f"shard-{i:05d}.parquet" for i in range(SHARDS)]
    assert {name: _object(moto, prefix, f"data/{name}") for name in kept} == before
    assert validate_dataset(url) == []
    ids = open_dataset(url).to_arrow(columns=["sample_id"]).column("sample_id").to_pylist()
    assert sorted(ids) == expected_ids() and len(ids) == RENDERS


def test_a_second_writer_is_refused_by_the_lock_object(moto: MotoServer, s3_env: dict[str, str]) -> None:
    """One writer holds the lock object; a render (another process) and another writer here are refused on one
    line (exit 2) before any work."""
    prefix = _prefix()
    url = f"s3://{BUCKET}/{prefix}"
    holder = DatasetWriter(load_config("smoke", overrides={"out": url})).open()
    try:
        done = _cli("render", "--preset", "smoke", "--out", url, "--no-progress", env=s3_env, timeout=120)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "another synthgen run" in line and url in line
        with pytest.raises(UsageError, match="another synthgen run"):
            DatasetWriter(load_config("smoke", overrides={"out": url})).open()
    finally:
        holder.release()
    keys = _keys(moto, prefix)
    assert _shard_objects(keys) == [] and ".synthgen.lock" not in keys, keys  # no shard; the holder's lock is gone


@pytest.fixture
def prefect_api(tmp_path: Path) -> Iterator[PrefectServer]:
    with prefect_server(tmp_path / "prefect-home") as server:
        yield server


@pytest.mark.prefect_server
@pytest.mark.blender
@pytest.mark.timeout(420)
def test_dask_workers_in_other_processes_write_one_dataset_to_s3(
    moto: MotoServer, s3_env: dict[str, str], prefect_api: PrefectServer, tmp_path: Path
) -> None:
    """A Dask scheduler and two workers started as separate processes (as on other machines: they share only the
    S3 endpoint and the Prefect API), and ``python -m flows --dask-address``: each worker renders and uploads
    shards, the flow alone writes the manifest."""
    from distributed import Client

    prefix = _prefix()
    url = f"s3://{BUCKET}/{prefix}"
    env = prefect_api.env() | {k: v for k, v in s3_env.items() if k.startswith("AWS_")}
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = [sys.executable, "-m", "dask"]
    scheduler_cmd = [*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1]]
    worker_cmd = [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    with (
        spawned([*scheduler_cmd, "--no-dashboard"], tmp_path / "scheduler.log", env),
        spawned(worker_cmd, logs[0], env),
        spawned(worker_cmd, logs[1], env),
    ):
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        args = ["--preset", "smoke", "--num-renders", "6", "--out", url, "--task-runner", "dask"]
        done = subprocess.run(
            [sys.executable, "-m", "flows", *args, "--dask-address", address],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:] + "\n" + "\n".join(tail(log) for log in logs)
    assert f"dask cluster at {address}" in done.stderr
    # Each shard task ran once, on one of the two worker processes, and both workers took part.
    done_by_worker = [set(FINISHED_SHARD.findall(log.read_text())) for log in logs]
    assert all(done_by_worker) and not done_by_worker[0] & done_by_worker[1], done_by_worker
    assert sorted(done_by_worker[0] | done_by_worker[1]) == [f"shard-{i:05d}.parquet" for i in range(3)]
    with SyncPrefectClient(prefect_api.api_url) as prefect:  # and the server recorded those task runs
        task_runs = [t for t in prefect.read_task_runs() if t.name.startswith("render-shard-")]
    assert len(task_runs) == 3 and all(t.state is not None and t.state.is_completed() for t in task_runs)
    assert _plans(_keys(moto, prefix)) == [f"shard-{i:05d}.parquet" for i in range(3)]
    assert validate_dataset(url) == []
    ids = open_dataset(url).to_arrow(columns=["sample_id"]).column("sample_id").to_pylist()
    assert sorted(ids) == [f"s0-r{i:08d}-a000" for i in range(6)]


def test_url_options_translate_to_s3fs_storage_options() -> None:
    assert fsspec_storage_options("s3://b/p?endpoint_override=minio:9000&scheme=http&region=eu-west-1") == {
        "endpoint_url": "http://minio:9000",
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    assert fsspec_storage_options("s3://b/p?endpoint_override=s3.example.com") == {
        "endpoint_url": "https://s3.example.com"  # pyarrow's default scheme
    }
    assert fsspec_storage_options("s3://b/p") == {} and fsspec_storage_options("memory://b/p?x=1") == {}
