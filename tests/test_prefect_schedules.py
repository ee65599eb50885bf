"""Scheduled runs against a REAL Prefect server: `prefect server start` on 127.0.0.1 (its own PREFECT_HOME and
SQLite database), the deployments of prefect.yaml deployed with `prefect deploy`, Prefect's scheduler creating the
runs, a process worker (and, separately, `flow.serve`) executing one into a valid dataset.

This is the path a user takes first, and the one a wrong SQLAlchemy broke (issue 13: the scheduler raised
"Can't evaluate bulk DML statement" on every loop with SQLAlchemy 2.1 and no run was ever created): the runs are read
back with Prefect's own client. Every process is started in its own process group and killed with its descendants
when the test ends; every wait is bounded.

The test deployment runs once per hour, anchored so that its first run falls due shortly after it is deployed:
exactly one run comes due during the test, and the scheduler still has to create it (and the next ones). How
shortly depends on the machine's load: a `prefect` command can take 5 s or 30 s here, so the delay is three times
what `prefect work-pool create` took, plus the scheduler's loop.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
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
MIN_FIRST_RUN_DELAY_S = 25.0
SERVE_FIRST_RUN_DELAY_S = 25  # counted inside the serving process, after its imports
# The scheduler visits every deployment every 5 s instead of 60 s: its 5-second loop over recently changed
# deployments misses one when the machine is so busy that the loop runs late (only to keep the test short).
SCHEDULER_SETTINGS = {"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}
SCHEDULER_TIMEOUT_S = 60
RUN_TIMEOUT_S = 180  # after the run is due: a flow-run process + 4 renders at 64x64, on a busy machine
# The worker and the served flow look for due runs every 2 s instead of 10 s (only to keep the test short).
FAST_POLLING = {"PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_RUNNER_POLL_FREQUENCY": "2"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with prefect_server(tmp_path_factory.mktemp("prefect-home"), **SCHEDULER_SETTINGS) as running:
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


def _anchor(delay_s: float) -> str:
    """An anchor one interval before the wanted first run: the run after it is due ``delay_s`` from now."""
    first = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=delay_s)
    return (first - datetime.timedelta(seconds=INTERVAL_S)).replace(microsecond=0).isoformat()


def _smoke_parameters(out_dir: Path) -> dict[str, Any]:
    return {"preset": "smoke", "out": str(out_dir / "scheduled-{date}"), "contact_sheet_samples": 0}


def _runs(client: SyncPrefectClient, deployment_id: Any) -> list[FlowRun]:
    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
    return sorted(runs, key=lambda run: run.expected_start_time)


def _scheduled_runs(
    server: PrefectServer, client: SyncPrefectClient, deployment_id: Any, at_least: int
) -> list[FlowRun]:
    def created() -> list[FlowRun] | None:
        runs = [run for run in _runs(client, deployment_id) if run.auto_scheduled]
        return runs if len(runs) >= at_least else None

    try:
        return wait_until(created, SCHEDULER_TIMEOUT_S, f"the scheduler to create {at_least} run(s)", interval=1)
    except AssertionError as exc:  # name what the server logged (with SQLAlchemy 2.1: "Can't evaluate bulk DML")
        errors = [line for line in tail(server.log_file, 2000).splitlines() if "Error" in line]
        raise AssertionError(f"{exc}; the server's last error: {errors[-1] if errors else 'none'}") from None


def _wait_for_completion(client: SyncPrefectClient, run: FlowRun, log_file: Path) -> FlowRun:
    due_in_s = (run.expected_start_time - datetime.datetime.now(datetime.UTC)).total_seconds()
    run_id = run.id

    def finished() -> FlowRun | None:
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_final():
            return run
        return None

    try:
        run = wait_until(finished, max(0, due_in_s) + RUN_TIMEOUT_S, f"flow run {run_id} to finish", interval=1)
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


def _test_prefect_yaml(tmp_path: Path, out_dir: Path, first_run_delay_s: float) -> Path:
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
        "schedules": [
            {"interval": INTERVAL_S, "anchor_date": _anchor(first_run_delay_s), "timezone": "UTC", "active": True}
        ],
    }
    project["deployments"].append(smoke)
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False))
    return path


@pytest.mark.timeout(540)
def test_the_scheduler_creates_runs_and_a_process_worker_renders_one(server: PrefectServer, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    started = time.monotonic()
    _prefect(server, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    delay_s = max(MIN_FIRST_RUN_DELAY_S, 3 * (time.monotonic() - started) + 10)
    prefect_file = _test_prefect_yaml(tmp_path, out_dir, delay_s)
    _prefect(server, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file), timeout=180)
    with SyncPrefectClient(server.api_url) as client:
        nightly = client.read_deployment_by_name(f"{FLOW}/nightly-tabletop")
        smoke = client.read_deployment_by_name(f"{FLOW}/smoke-interval")
        assert nightly.work_pool_name == POOL and smoke.work_pool_name == POOL

        # The scheduler (not the deploy command) creates the runs: auto_scheduled, at the schedules' times.
        nightly_runs = _scheduled_runs(server, client, nightly.id, at_least=3)
        assert all(run.state_type.value == "SCHEDULED" for run in nightly_runs)
        nightly_times = {run.expected_start_time.astimezone(datetime.UTC) for run in nightly_runs}
        assert {(t.hour, t.minute) for t in nightly_times} == {(2, 0)}  # "0 2 * * *", timezone UTC
        smoke_runs = _scheduled_runs(server, client, smoke.id, at_least=3)
        gaps = {(b.expected_start_time - a.expected_start_time).total_seconds() for a, b in pairwise(smoke_runs)}
        assert gaps == {INTERVAL_S}
        first = smoke_runs[0]
        now = datetime.datetime.now(datetime.UTC)
        assert first.expected_start_time < now + datetime.timedelta(seconds=delay_s), (
            f"the first run is due at {first.expected_start_time}: deploying took longer than {delay_s:.0f}s"
        )

        worker_log = tmp_path / "worker.log"
        worker = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"]
        with spawned(worker, worker_log, server.env(**FAST_POLLING)):
            run = _wait_for_completion(client, first, worker_log)
        server.check_alive()
        assert run.run_count == 1
        _assert_valid_dataset(run, out_dir)
        # Only the due run ran: the next one is an hour later and still scheduled.
        assert client.read_flow_run(smoke_runs[1].id).state_type.value == "SCHEDULED"


SERVE_SCRIPT = """
import datetime
from prefect.schedules import Interval
from flows.generate import generate_dataset

first = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds={delay})
anchor = first - datetime.timedelta(seconds={interval})
generate_dataset.serve(
    name="smoke-served", schedules=[Interval({interval}, anchor_date=anchor)], parameters={parameters!r}
)
"""


@pytest.mark.timeout(540)
def test_flow_serve_runs_its_interval_schedule(server: PrefectServer, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    script = SERVE_SCRIPT.format(
        interval=INTERVAL_S, delay=SERVE_FIRST_RUN_DELAY_S, parameters=_smoke_parameters(out_dir)
    )
    serve_log = tmp_path / "serve.log"
    with (
        spawned([sys.executable, "-c", script], serve_log, server.env(**FAST_POLLING)) as serving,
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
        runs = _scheduled_runs(server, client, deployment.id, at_least=3)
        run = _wait_for_completion(client, runs[0], serve_log)
        _assert_valid_dataset(run, out_dir)
        assert client.read_flow_run(runs[1].id).state_type.value == "SCHEDULED"
