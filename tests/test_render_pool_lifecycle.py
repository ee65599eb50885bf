"""The render pool's start-up timeout, its temporary files and its stop, with a stand-in worker (no Blender)."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import pytest

from synthgen.errors import RenderFailed
from synthgen.pipeline.render_pool import LOG_DIR_PREFIX, RenderPool, remove_leftover_pool_dirs


def _pool(timeout_s: float = 30.0) -> RenderPool:
    return RenderPool(
        workers=1, threads_per_worker=1, batch_size=1, timeout_s=timeout_s, retries=0, max_renders_per_worker=100,
        worker_module="tests.fake_worker",
    )  # fmt: skip


def _specs(count: int) -> list[dict]:
    return [{"render_index": i} for i in range(count)]


def test_a_worker_hung_in_start_up_waits_render_timeout_not_180s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_WORKER_MODE", "hang_start")
    started = time.monotonic()
    with _pool(timeout_s=2.0) as pool, pytest.raises(RenderFailed, match=r"hung while starting \(no answer in 2s\)"):
        list(pool.render(_specs(1)))
    assert time.monotonic() - started < 30
    assert not pool._log_dir.exists()  # the hung worker's scratch and log went with the pool


def test_stopping_the_pool_mid_batch_is_not_reported_as_a_dead_worker(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What Ctrl-C does: the consumer stops, the pool kills its workers; no 'died ... retrying' warning."""
    monkeypatch.setenv("FAKE_WORKER_MODE", "one_then_hang")
    caplog.set_level(logging.DEBUG, logger="synthgen")
    with _pool() as pool:
        results = pool.render(_specs(3))
        next(results)
        scratch = pool.workers[0].scratch_dir
        assert (scratch / "pass.exr").exists()
        results.close()  # as a KeyboardInterrupt in the consumer's loop does
    assert "retrying" not in caplog.text and "died" not in caplog.text
    assert pool.restarts == 0
    assert not scratch.exists() and not pool._log_dir.exists()


def test_leftovers_of_a_killed_run_are_removed_by_the_next_pool() -> None:
    dead_pid = 2**22 + 12345  # above the default pid_max: no such process
    leftover = Path(tempfile.gettempdir()) / f"{LOG_DIR_PREFIX}{dead_pid}-abc"
    (leftover / "worker-0-scratch").mkdir(parents=True, exist_ok=True)
    (leftover / "worker-0-scratch" / "pass.exr").write_bytes(b"x")
    ours = Path(tempfile.mkdtemp(prefix=f"{LOG_DIR_PREFIX}{__import__('os').getpid()}-"))
    try:
        remove_leftover_pool_dirs()
        assert not leftover.exists()
        assert ours.exists()  # a live process's folder is kept
    finally:
        ours.rmdir()
