"""Which Prefect task runner renders the shards, and how many Cycles threads each render worker gets.

- ``thread`` (default): ``ThreadPoolTaskRunner(max_workers=W)`` in the flow's process, W = ``workers``: W shard
  tasks at a time, each with a one-worker render pool (Blender runs in worker processes, so threads are enough).
  Prefect's default thread runner is unbounded: it is always bounded here.
- ``dask``: ``prefect_dask.DaskTaskRunner``. Without an address a temporary ``LocalCluster`` of ``dask_workers``
  processes with one thread each is started on this machine; with ``dask_address`` the tasks go to an existing
  cluster, whose workers need synthgen installed and the output reachable (a shared disk or an object store).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from synthgen.config import JobConfig
from synthgen.errors import UsageError

TaskRunnerName = Literal["thread", "dask"]


@dataclass
class RunnerChoice:
    runner: Any  # a prefect TaskRunner, entered as a context manager by the flow
    concurrency: int  # shard tasks that may run at once (on a remote cluster: per worker thread)
    render_threads: int  # Cycles threads per render worker
    description: str
    spawns_local_workers: bool = field(default=False)

    @contextlib.contextmanager
    def started(self) -> Iterator[Any]:
        """Enters the runner. Local Dask workers are told the API URL of a temporary local Prefect server, which
        lives in this process only: without it each worker would start a server of its own and its task runs would
        be recorded there."""
        with _api_url_for_spawned_processes(self.spawns_local_workers), self.runner as runner:
            yield runner


@contextlib.contextmanager
def _api_url_for_spawned_processes(needed: bool) -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL

    if not needed or PREFECT_API_URL.value() or "PREFECT_API_URL" in os.environ:
        yield
        return
    from prefect.client.orchestration import get_client

    os.environ["PREFECT_API_URL"] = str(get_client(sync_client=True).api_url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def _threads(config: JobConfig, tasks_per_machine: int) -> int:
    return config.render.threads or max(1, (os.cpu_count() or 1) // tasks_per_machine)


def choose_task_runner(
    name: str, config: JobConfig, dask_address: str | None = None, dask_workers: int | None = None
) -> RunnerChoice:
    if name == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        if dask_address or dask_workers:
            raise UsageError("task_runner: dask_address and dask_workers need task_runner 'dask'")
        workers = config.workers
        return RunnerChoice(
            ThreadPoolTaskRunner(max_workers=workers),
            workers,
            _threads(config, workers),
            f"threads: {workers} shard task(s) at a time",
        )
    if name != "dask":
        raise UsageError(f"task_runner: must be 'thread' or 'dask', got {name!r}")
    if dask_workers is not None and dask_workers < 1:
        raise UsageError(f"dask_workers: must be at least 1, got {dask_workers}")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise UsageError("task_runner: 'dask' needs prefect-dask (pip install 'synthgen[dask]')") from None
    if dask_address:
        if dask_workers is not None:
            raise UsageError("dask_workers: a cluster given by dask_address has its own workers; leave it unset")
        # One task per Dask worker thread; Blender gets render.threads (or 1) Cycles threads per task.
        return RunnerChoice(
            DaskTaskRunner(address=dask_address),
            1,
            config.render.threads or 1,
            f"dask cluster at {dask_address}",
        )
    workers = dask_workers or config.workers
    runner = DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )
    return RunnerChoice(
        runner, workers, _threads(config, workers), f"local dask cluster of {workers} process(es)", True
    )
