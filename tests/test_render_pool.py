"""Render workers under faults: real Blender processes, really killed, stopped and recycled."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest

from synthgen.config import JobConfig
from synthgen.errors import RenderFailed
from synthgen.pipeline.render_pool import LOOKAHEAD_BATCHES_PER_WORKER, RenderPool
from synthgen.pipeline.specs import sample_spec

pytestmark = pytest.mark.blender


def _pool(**overrides) -> RenderPool:
    settings = {
        "workers": 1, "threads_per_worker": 1, "batch_size": 3, "timeout_s": 60.0, "retries": 2,
        "max_renders_per_worker": 100,
    } | overrides  # fmt: skip
    return RenderPool(**settings)


def _specs(config: JobConfig, count: int) -> list[dict]:
    return [sample_spec(config, i) for i in range(count)]


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(smoke_config: JobConfig) -> None:
    specs = _specs(smoke_config, 6)
    with _pool() as pool:
        seen = []
        killed = None
        for result in pool.render(specs):
            seen.append(result.spec["render_index"])
            if killed is None:  # the worker is most likely in the middle of its first batch of 3
                killed = pool.worker_pids()[0]
                os.kill(killed, signal.SIGKILL)
        assert sorted(seen) == list(range(6))
        assert killed not in pool.worker_pids()


def test_a_hung_worker_is_killed_after_the_timeout_and_its_batch_retried(smoke_config: JobConfig) -> None:
    specs = _specs(smoke_config, 4)
    with _pool(timeout_s=8.0) as pool:
        seen = []
        stopped = threading.Event()
        for result in pool.render(specs):
            seen.append(result.spec["render_index"])
            if not stopped.is_set():
                os.kill(pool.worker_pids()[0], signal.SIGSTOP)  # frozen, as a deadlocked render would be
                stopped.set()
        assert sorted(seen) == list(range(4))
        assert pool.restarts == 1


def test_workers_are_recycled_after_their_render_budget(smoke_config: JobConfig) -> None:
    specs = _specs(smoke_config, 5)
    pids = set()
    with _pool(batch_size=1, max_renders_per_worker=2) as pool:
        results = []
        for result in pool.render(specs):
            results.append(result)
            pids.update(pool.worker_pids())
    assert sorted(r.spec["render_index"] for r in results) == list(range(5))
    assert len(pids) >= 3  # 5 renders at 2 per worker life


def test_a_spec_the_worker_cannot_render_stops_the_job_with_its_traceback(smoke_config: JobConfig) -> None:
    specs = _specs(smoke_config, 2)
    specs[1] = specs[1] | {"scene_type": "moon"}
    with _pool() as pool, pytest.raises(RenderFailed, match="scene_type: this worker cannot build 'moon'"):
        list(pool.render(specs))


def test_a_worker_that_keeps_dying_fails_the_job_instead_of_looping(smoke_config: JobConfig) -> None:
    specs = _specs(smoke_config, 3)
    started = time.monotonic()
    with _pool(retries=1, batch_size=3) as pool:
        killer_stop = threading.Event()

        def kill_every_worker() -> None:
            while not killer_stop.is_set():
                for pid in pool.worker_pids():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)

        killer = threading.Thread(target=kill_every_worker, daemon=True)
        killer.start()
        try:
            with pytest.raises(RenderFailed, match="gave up on renders"):
                list(pool.render(specs))
        finally:
            killer_stop.set()
            killer.join()
    assert time.monotonic() - started < 120


def test_specs_are_drawn_as_the_workers_need_them(smoke_config: JobConfig) -> None:
    """A job of millions of renders must not sample (and hold) every spec before the first render."""
    drawn: list[int] = []

    def lazily(count: int):
        for index in range(count):
            drawn.append(index)
            yield sample_spec(smoke_config, index)

    with _pool(batch_size=1) as pool:
        seen = []
        for result in pool.render(lazily(12)):
            if not seen:
                drawn_at_first_result = len(drawn)
            seen.append(result.spec["render_index"])
        assert sorted(seen) == list(range(12))
    assert drawn_at_first_result <= LOOKAHEAD_BATCHES_PER_WORKER * 1 * 1 + 1  # 1 worker, batches of 1
