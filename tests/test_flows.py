"""The Prefect flow against a temporary Prefect API (SQLite): real renders of tiny samples, resume, Dask,
object storage, artifacts, and the deployment in prefect.yaml."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.flows import load_flow_from_entrypoint
from prefect.testing.utilities import prefect_test_harness

from flows.artifacts import artifact_key
from flows.generate import generate_dataset
from synthgen.config import load_config
from synthgen.dataset.folder import DatasetWriter
from synthgen.dataset.validate import validate_dataset
from synthgen.errors import UsageError
from tests.conftest import REPO
from tests.fault_tools import (
    SHARDS,
    SLOW_CONFIG,
    expected_ids,
    manifest_files,
    manifest_shards,
    render_workers,
    sample_ids,
    shard_digests,
    started_cli,
    wait_for,
)

ENTRYPOINT = "flows/generate.py:generate_dataset"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _shards(out: Path) -> dict[str, bytes]:
    return {f"{p.parent.name}/{p.name}": p.read_bytes() for p in sorted((out / "data").glob("*/*.parquet"))}


def _run(**parameters: Any) -> tuple[dict[str, Any], Any]:
    state = generate_dataset(**parameters, return_state=True)
    return state.result(), state


def _artifacts(flow_run_id: Any) -> dict[str, Any]:
    client = get_client(sync_client=True)
    runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    return {a.key: a for a in client.read_artifacts(flow_run_filter=runs)}


def _task_runs(flow_run_id: Any) -> list[Any]:
    client = get_client(sync_client=True)
    return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))


@pytest.mark.blender
def test_the_flow_renders_a_valid_dataset_and_publishes_artifacts(prefect_api: None, tmp_path: Path) -> None:
    out = tmp_path / "flow-smoke"
    summary, state = _run(preset="smoke", out=str(out), workers=2, contact_sheet_samples=4)
    assert summary["rows"] == 4 and summary["shards_written"] == 2 and summary["valid"]
    assert validate_dataset(out) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and [s["name"] for s in summary["shard_records"]] == [
        s["name"] for s in manifest["shards"]
    ]
    flow_run_id = state.state_details.flow_run_id
    shard_runs = [t for t in _task_runs(flow_run_id) if t.name.startswith("render-shard-")]
    assert sorted(t.name for t in shard_runs) == ["render-shard-00000.parquet", "render-shard-00001.parquet"]
    assert all(t.state.is_completed() for t in shard_runs)
    artifacts = _artifacts(flow_run_id)
    progress = artifacts[artifact_key(str(out), "progress")]
    assert progress.type == "progress" and float(progress.data) == 100.0
    table = json.loads(artifacts[artifact_key(str(out), "counts")].data)
    assert table == [{"kind": "object", "split": s, "rows": n} for s, n in _split_counts(out).items()]
    markdown = artifacts[artifact_key(str(out), "summary")].data
    assert "| rows | 4 |" in markdown and "data:image/jpeg;base64," in markdown
    assert (out / "contact_sheet.png").is_file()


def _split_counts(out: Path) -> dict[str, int]:
    splits = pq.read_table(out / "data", columns=["split"]).column("split").to_pylist()
    return {s: splits.count(s) for s in sorted(set(splits))}


@pytest.mark.blender
def test_a_rerun_keeps_finished_shards_and_rerenders_a_truncated_one(prefect_api: None, tmp_path: Path) -> None:
    out = tmp_path / "flow-resume"
    _run(preset="smoke", out=str(out))
    before = _shards(out)
    summary, _ = _run(preset="smoke", out=str(out))
    assert (summary["shards_written"], summary["shards_kept"]) == (0, 2)
    assert _shards(out) == before
    truncated = out / "data" / "train" / "shard-00001.parquet"
    truncated.write_bytes(before["train/shard-00001.parquet"][:1000])
    assert any("shard-00001.parquet" in p for p in validate_dataset(out))
    summary, _ = _run(preset="smoke", out=str(out))
    assert (summary["shards_written"], summary["shards_kept"]) == (1, 1)
    assert validate_dataset(out) == []
    after = _shards(out)
    assert after["train/shard-00000.parquet"] == before["train/shard-00000.parquet"], "a finished shard is kept"
    assert pq.read_table(truncated).column("sample_id").to_pylist() == ["s0-r00000002-a000", "s0-r00000003-a000"]


@pytest.mark.blender
def test_shards_render_on_a_local_dask_cluster_of_two_worker_processes(prefect_api: None, tmp_path: Path) -> None:
    pytest.importorskip("prefect_dask")
    out = tmp_path / "flow-dask"
    summary, state = _run(preset="smoke", out=str(out), num_renders=6, task_runner="dask", dask_workers=2)
    assert summary["rows"] == 6 and summary["shards_written"] == 3 and summary["valid"]
    assert summary["task_runner"] == "local dask cluster of 2 process(es)"
    assert validate_dataset(out) == []
    shard_runs = [t for t in _task_runs(state.state_details.flow_run_id) if t.name.startswith("render-shard-")]
    assert len(shard_runs) == 3 and all(t.state.is_completed() for t in shard_runs)


@pytest.mark.blender
def test_a_shard_task_that_fails_is_retried_by_prefect(prefect_api: None, tmp_path: Path) -> None:
    """With render.retries 0 the pool gives up at the first lost worker; the task's own retry renders the shard."""
    config = tmp_path / "fragile.yaml"
    config.write_text("preset: smoke\nnum_renders: 2\nrender: {retries: 0, spp: 128, adaptive_sampling: false}\n")
    killed: list[int] = []

    def kill_the_first_worker() -> None:
        (worker, *_) = wait_for(lambda: render_workers(os.getpid()), 120, "a render worker")
        os.kill(worker, signal.SIGKILL)
        killed.append(worker)

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    summary, state = _run(config=str(config), out=str(tmp_path / "ds"))
    killer.join()
    assert killed and summary["rows"] == 2 and summary["valid"]
    (shard_run,) = [t for t in _task_runs(state.state_details.flow_run_id) if t.name.startswith("render-shard-")]
    assert shard_run.run_count == 2 and shard_run.state.is_completed()


@pytest.mark.blender
def test_the_flow_writes_to_object_storage_urls(prefect_api: None) -> None:
    """memory:// (fsspec's in-process filesystem) stands in for s3://: no network and no MinIO here."""
    url = f"memory://synthgen-flow/{uuid.uuid4().hex}"
    summary, _ = _run(preset="smoke", out=url)
    assert summary["rows"] == 4 and summary["valid"] and summary["contact_sheet"] is None
    assert validate_dataset(url) == []
    summary, _ = _run(preset="smoke", out=url)
    assert (summary["shards_written"], summary["shards_kept"]) == (0, 2)


@pytest.mark.blender
def test_a_killed_flow_run_resumes_with_only_the_missing_shards(prefect_api: None, tmp_path: Path) -> None:
    """``python -m flows`` (2 shard tasks at a time, talking to the test API) SIGKILLed mid-run with its process
    group, then started again with the same command."""
    slow_config = tmp_path / "slow.yaml"
    slow_config.write_text(SLOW_CONFIG)
    out = tmp_path / "ds"
    args = ("--config", str(slow_config), "--out", str(out), "--workers", "2")
    env = os.environ | {"PREFECT_API_URL": str(get_client(sync_client=True).api_url)}
    with started_cli(*args, log_dir=tmp_path / "first", module="flows", env=env) as flow_run:
        wait_for(lambda: len(manifest_shards(out)) >= 1, 240, "the first shard")
        workers = render_workers(flow_run.pid)
        os.killpg(flow_run.pid, signal.SIGKILL)
        flow_run.wait(timeout=30)
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 60, "orphaned workers to exit")
    kept = manifest_shards(out)
    assert 1 <= len(kept) < SHARDS
    before = shard_digests(out)
    # A shard a task had written but the killed flow had not recorded yet may be there too: complete (it was
    # renamed into place) but unlisted, so the rerun renders it again.
    kept_files = manifest_files(out)
    assert set(kept_files) <= set(before) and not list((out / "data").rglob(".tmp-*"))
    again = subprocess.run(
        [sys.executable, "-m", "flows", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert f"({SHARDS - len(kept)} written, {len(kept)} kept)" in again.stderr
    after = shard_digests(out)
    assert {name: after[name] for name in kept_files} == {name: before[name] for name in kept_files}
    assert validate_dataset(out) == []
    assert sorted(sample_ids(out)) == expected_ids()


def test_bad_input_fails_before_any_work(prefect_api: None, tmp_path: Path) -> None:
    out = tmp_path / "never"
    with pytest.raises(UsageError, match="num_renders"):
        generate_dataset(preset="smoke", out=str(out), num_renders=0)
    with pytest.raises(UsageError, match="dask_workers: must be at least 1"):
        generate_dataset(preset="smoke", out=str(out), task_runner="dask", dask_workers=0)
    assert not out.exists()


def test_the_flow_command_line_reports_bad_input_on_one_line(tmp_path: Path) -> None:
    """Checked before Prefect starts: exit code 2, one line naming the field, nothing written."""
    out = tmp_path / "never"
    for args, expected in (
        (["--num-renders", "0"], "python -m flows: error: config: num_renders:"),
        (["--out", "nosuchfs://bucket/x"], "python -m flows: error: out: cannot open 'nosuchfs://bucket/x'"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "flows", "--preset", "smoke", "--out", str(out), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2 and done.stderr.startswith(expected) and done.stderr.count("\n") == 1
    assert not out.exists()


def test_a_second_run_into_a_locked_folder_is_refused(prefect_api: None, tmp_path: Path) -> None:
    config = load_config("smoke", overrides={"out": str(tmp_path / "busy")})
    holder = DatasetWriter(config).open()
    try:
        with pytest.raises(UsageError, match="another synthgen run"):
            generate_dataset(preset="smoke", out=str(tmp_path / "busy"))
    finally:
        holder.release()


def test_prefect_yaml_deploys_the_flow_on_a_process_pool_every_night(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(yaml.safe_load((REPO / "prefect.yaml").read_text()))
    (deployment,) = model.deployments
    assert deployment.entrypoint == ENTRYPOINT
    monkeypatch.chdir(REPO)
    flow = load_flow_from_entrypoint(ENTRYPOINT)  # Prefect's own loader, as a worker runs it
    assert flow.name == "generate-dataset"
    flow.validate_parameters(deployment.parameters)
    assert deployment.work_pool is not None and deployment.work_pool.name == "synthgen-process"
    assert [s.cron for s in deployment.schedules or []] == ["0 2 * * *"]


def test_prefect_deploy_registers_the_nightly_deployment(prefect_api: None) -> None:
    """`prefect deploy` (the real command line) against the temporary API: pool, schedule and parameters land."""
    env = os.environ | {"PREFECT_API_URL": str(get_client(sync_client=True).api_url)}
    prefect = [sys.executable, "-m", "prefect"]
    for command in (
        ["work-pool", "create", "synthgen-process", "--type", "process", "--overwrite"],
        ["--no-prompt", "deploy", "--name", "nightly-tabletop"],
    ):
        done = subprocess.run([*prefect, *command], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
    client = get_client(sync_client=True)
    deployment = client.read_deployment_by_name("generate-dataset/nightly-tabletop")
    assert deployment.work_pool_name == "synthgen-process" and deployment.entrypoint == ENTRYPOINT
    assert deployment.parameters["out"] == "outputs/tabletop-{date}"
    assert [s.schedule.cron for s in deployment.schedules] == ["0 2 * * *"]
