"""Scheduled runs against a REAL Prefect server: `prefect server start` on 127.0.0.1 (its own PREFECT_HOME and
SQLite database), the deployments of prefect.yaml deployed with `prefect deploy`, Prefect's scheduler creating the
runs, a process worker (and, separately, `flow.serve`) executing one into a valid dataset.

This is the path a user takes first, and the one a wrong SQLAlchemy broke (issue 13: the scheduler raised
"Can't evaluate bulk DML statement" on every loop with SQLAlchemy 2.1 and no run was ever created): the runs are read
back with Prefect's own client. Every process is started in its own process group and killed with its descendants
when the test ends; every wait is bounded.

The test deployment runs once per hour, anchored so that its first run falls FIRST_RUN_DELAY_S after it is
deployed: exactly one run comes due during the test, and the scheduler still has to create it (and the next ones).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun

from tests.conftest import REPO
from tests.live_services import PrefectServer, prefect_server, spawned, tail, wait_until

pytestmark = [pytest.mark.prefect_server, pytest.mark.blender]

POOL = "synthgen-process"
FLOW = "generate-dataset"
INTERVAL_S = 3600
FIRST_RUN_DELAY_S = 40  # deploy (a CLI start, ~5-10 s here) + the scheduler's "recent deployments" loop (5 s)
SCHEDULER_TIMEOUT_S = 60
RUN_TIMEOUT_S = 150  # the first run's delay + a flow-run process + 4 renders at 64x64
# The worker and the served flow look for due runs every 2 s instead of 10 s (only to keep the test short).
FAST_POLLING = {"PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_RUNNER_POLL_FREQUENCY": "2"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as running:
        yield running


def _prefect(server: PrefectServer, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        cwd=REPO,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _anchor() -> str:
    """An anchor one interval before the wanted first run: the run after it is due FIRST_RUN_DELAY_S from now."""
    first = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=FIRST_RUN_DELAY_S)
    return (first - datetime.timedelta(seconds=INTERVAL_S)).replace(microsecond=0).isoformat()


def _smoke_parameters(out_dir: Path) -> dict[str, Any]:
    return {"preset": "smoke", "out": str(out_dir / "scheduled-{date}"), "contact_sheet_samples": 0}


def _runs(client: SyncPrefectClient, deployment_id: Any) -> list[FlowRun]:
    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
    return sorted(runs, key=lambda run: run.expected_start_time)


def _scheduled_runs(client: SyncPrefectClient, deployment_id: Any, at_least: int) -> list[FlowRun]:
    def created() -> list[FlowRun] | None:
        runs = [run for run in _runs(client, deployment_id) if run.auto_scheduled]
        return runs if len(runs) >= at_least else None

    return wait_until(created, SCHEDULER_TIMEOUT_S, f"the scheduler to create {at_least} run(s)", interval=1)


def _wait_for_completion(client: SyncPrefectClient, run_id: Any, log_file: Path) -> FlowRun:
    def finished() -> FlowRun | None:
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_final():
            return run
        return None

    try:
        run = wait_until(finished, RUN_TIMEOUT_S, f"flow run {run_id} to finish", interval=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{tail(log_file)}") from None
    assert run.state is not None and run.state.is_completed(), f"{run.state}\n{tail(log_file)}"
    return run


def _assert_valid_dataset(run: FlowRun, out_dir: Path) -> None:
    """The run wrote `scheduled-{its scheduled date}` and `python -m synthgen validate` accepts it."""
    dataset = out_dir / f"scheduled-{run.expected_start_time:%Y-%m-%d}"
    done = subprocess.run(
        [sys.executable, "-m", "synthgen", "validate", str(dataset)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = sorted(s["name"] for s in json.loads((dataset / "manifest.json").read_text())["shards"])
    assert sorted(f"{p.parent.name}/{p.name}" for p in (dataset / "data").glob("*/*.parquet")) == listed
    assert {name.split("/")[1] for name in listed} == {"shard-00000.parquet", "shard-00001.parquet"}


def _test_prefect_yaml(tmp_path: Path, out_dir: Path) -> Path:
    """The repository's prefect.yaml, unchanged, plus one deployment of the same flow with tiny smoke settings on an
    hourly interval schedule."""
    project = yaml.safe_load((REPO / "prefect.yaml").read_text())
    (nightly,) = project["deployments"]
    smoke = {
        "name": "smoke-interval",
        "entrypoint": nightly["entrypoint"],
        "parameters": _smoke_parameters(out_dir),
        "concurrency_limit": 1,
        "work_pool": {"name": nightly["work_pool"]["name"], "job_variables": {}},
        "schedules": [{"interval": INTERVAL_S, "anchor_date": _anchor(), "timezone": "UTC", "active": True}],
    }
    project["deployments"].append(smoke)
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False))
    return path


@pytest.mark.timeout(420)
def test_the_scheduler_creates_runs_and_a_process_worker_renders_one(server: PrefectServer, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    prefect_file = _test_prefect_yaml(tmp_path, out_dir)
    _prefect(server, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    _prefect(server, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file), timeout=180)
    with SyncPrefectClient(server.api_url) as client:
        nightly = client.read_deployment_by_name(f"{FLOW}/nightly-tabletop")
        smoke = client.read_deployment_by_name(f"{FLOW}/smoke-interval")
        assert nightly.work_pool_name == POOL and smoke.work_pool_name == POOL

        # The scheduler (not the deploy command) creates the runs: auto_scheduled, at the schedules' times.
        nightly_runs = _scheduled_runs(client, nightly.id, at_least=3)
        assert all(run.state_type.value == "SCHEDULED" for run in nightly_runs)
        assert {(run.expected_start_time.hour, run.expected_start_time.minute) for run in nightly_runs} == {(2, 0)}
        smoke_runs = _scheduled_runs(client, smoke.id, at_least=3)
        gaps = {(b.expected_start_time - a.expected_start_time).total_seconds() for a, b in pairwise(smoke_runs)}
        assert gaps == {INTERVAL_S}
        first = smoke_runs[0]
        now = datetime.datetime.now(datetime.UTC)
        assert first.expected_start_time < now + datetime.timedelta(seconds=FIRST_RUN_DELAY_S), (
            f"the first run is due at {first.expected_start_time}: the deploy took longer than {FIRST_RUN_DELAY_S}s"
        )

        worker_log = tmp_path / "worker.log"
        worker = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"]
        with spawned(worker, worker_log, server.env(**FAST_POLLING)):
            run = _wait_for_completion(client, first.id, worker_log)
        server.check_alive()
        assert run.run_count == 1
        _assert_valid_dataset(run, out_dir)
        # Only the due run ran: the next one is an hour later and still scheduled.
        assert client.read_flow_run(smoke_runs[1].id).state_type.value == "SCHEDULED"


SERVE_SCRIPT = """
import datetime, sys
from prefect.schedules import Interval
from flows.generate import generate_dataset

anchor = datetime.datetime.fromisoformat(sys.argv[1])
generate_dataset.serve(
    name="smoke-served", schedules=[Interval({interval}, anchor_date=anchor)], parameters={parameters!r}
)
"""


@pytest.mark.timeout(420)
def test_flow_serve_runs_its_interval_schedule(server: PrefectServer, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    script = SERVE_SCRIPT.format(interval=INTERVAL_S, parameters=_smoke_parameters(out_dir))
    serve_log = tmp_path / "serve.log"
    with (
        spawned([sys.executable, "-c", script, _anchor()], serve_log, server.env(**FAST_POLLING)) as serving,
        SyncPrefectClient(server.api_url) as client,
    ):

        def deployed() -> Any:
            if serving.poll() is not None:
                raise AssertionError(f"flow.serve exited ({serving.returncode}):\n{tail(serve_log)}")
            try:
                return client.read_deployment_by_name(f"{FLOW}/smoke-served")
            except Exception:  # ObjectNotFound until serve has registered it
                return None

        deployment = wait_until(deployed, 120, "flow.serve to register its deployment")
        runs = _scheduled_runs(client, deployment.id, at_least=3)
        run = _wait_for_completion(client, runs[0].id, serve_log)
        _assert_valid_dataset(run, out_dir)
        assert client.read_flow_run(runs[1].id).state_type.value == "SCHEDULED"
