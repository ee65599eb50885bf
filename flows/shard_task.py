"""The task that renders one shard: its own render pool, the shared pipeline code, a small record back.

It runs in a thread of the flow's process (thread task runner) or in a Dask worker process, possibly on another
machine; it never touches the manifest, it writes the shard through the ``DatasetStore`` it is given and returns
a ``ShardResult`` (name, rows, bytes, sha256, timings: never image arrays) for the flow to record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from synthgen.config import JobConfig
from synthgen.dataset.shard_writer import ShardRecord
from synthgen.dataset.storage import DatasetStore
from synthgen.errors import UsageError
from synthgen.pipeline.job import ShardPlan, make_pool, render_shard

SHARD_TASK_RETRIES = 2
SHARD_RETRY_DELAY_S = 2


@dataclass(frozen=True)
class ShardResult:
    records: list[ShardRecord]  # one file per split the plan's rows fall in
    seconds: float
    render_seconds: float  # summed Cycles time inside the worker
    worker_restarts: int


def _worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Worker crashes and time-outs that outlived the pool's own retries, and I/O errors, are retried; bad input is
    not (it fails the same way every time)."""
    try:
        state.result()
    except UsageError:
        return False
    except Exception:
        return True
    return True


@task(
    name="render-shard",
    task_run_name="render-{plan.name}",
    retries=SHARD_TASK_RETRIES,
    retry_delay_seconds=SHARD_RETRY_DELAY_S,
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,  # a shard is kept by the manifest and its sha256, not by Prefect's cache
)
def render_shard_task(config: JobConfig, plan: ShardPlan, store: DatasetStore, render_threads: int) -> ShardResult:
    """Renders ``plan`` with a one-worker pool (render time-outs are enforced by the pool, which kills the worker's
    process group: Prefect's ``timeout_seconds`` could not interrupt the blocking wait) and writes the shard."""
    logger = get_run_logger()
    started = time.perf_counter()
    with make_pool(config, workers=1, threads=render_threads) as pool:
        records, render_seconds = render_shard(config, plan, pool, store)
        restarts = pool.restarts
    result = ShardResult(records, time.perf_counter() - started, render_seconds, restarts)
    logger.info(
        "%s: %d rows in %d file(s), %.1f MB, %.1fs (Cycles %.1fs, worker restarts %d)",
        plan.name,
        sum(r.rows for r in records),
        len(records),
        sum(r.bytes for r in records) / 1e6,
        result.seconds,
        render_seconds,
        restarts,
    )
    return result
