"""Render throughput: the pipeline end to end against the Cycles time inside the worker (the overhead), and a
naive baseline that starts a fresh Blender process per render and builds the scene from nothing each time."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from synthgen.config import JobConfig
from synthgen.pipeline.job import run_job
from synthgen.pipeline.render_pool import RenderWorker
from synthgen.pipeline.specs import sample_spec

log = logging.getLogger(__name__)


def bench_pipeline(config: JobConfig) -> dict[str, Any]:
    """Runs the whole job (worker start-up, rendering, labels, shards, manifest, card) into ``config.out``."""
    stamps: list[float] = []
    started = time.perf_counter()
    summary = run_job(config, overwrite=True, on_progress=lambda done, total: stamps.append(time.perf_counter()))
    renders = summary.renders
    cycles = summary.render_seconds / renders
    e2e = summary.seconds / renders
    walls = [b - a for a, b in pairwise(stamps)]
    # Steady state: from the first result to the last, i.e. without the worker's start-up and the first render.
    steady = sum(walls) / len(walls) if walls else e2e
    figures = {
        "renders": renders,
        "workers": config.workers,
        "resolution": list(config.resolution),
        "spp": config.render.spp,
        "seconds": round(summary.seconds, 3),
        "first_result_s": round(stamps[0] - started, 3) if stamps else None,
        "s_per_render": round(e2e, 4),
        "cycles_s_per_render": round(cycles, 4),
        "overhead_ratio": round(e2e / cycles, 4),
        "steady_s_per_render": round(steady, 4),
        "steady_overhead_ratio": round(steady / cycles, 4),
    }
    return figures


def _render_one(worker: RenderWorker, spec: dict[str, Any], timeout_s: float) -> float:
    """Renders one spec on a started worker; returns the in-worker Cycles seconds."""
    seconds = None
    for kind, _, payload in worker.render_batch([spec], timeout_s):
        if kind != "result":
            raise RuntimeError(f"render {spec['render_index']} failed in the worker:\n{payload}")
        seconds = payload["timings"]["render_s"]
    assert seconds is not None
    return seconds


def bench_naive(config: JobConfig, renders: int) -> dict[str, Any]:
    """The naive way, one fresh worker process per spec (start Blender, build the scene, render one image,
    exit), against one persistent worker rendering the same specs. The two alternate spec by spec, so a load
    change on the machine hits both alike; the persistent worker is started (and warmed up) beforehand."""
    threads = config.render.threads or max(1, (os.cpu_count() or 1) // config.workers)  # as make_pool does
    specs = [sample_spec(config, index) for index in range(1 + renders)]
    naive_walls, persistent_walls, naive_cycles = [], [], []
    with tempfile.TemporaryDirectory(prefix="synthgen-naive-") as logs:
        persistent = RenderWorker(0, threads, Path(logs))
        persistent.start()
        try:
            _render_one(persistent, specs[0], config.render.timeout_s)  # warm-up: not counted
            for spec in specs[1:]:
                fresh = RenderWorker(spec["render_index"], threads, Path(logs))
                started = time.perf_counter()
                fresh.start()
                try:
                    naive_cycles.append(_render_one(fresh, spec, config.render.timeout_s))
                finally:
                    fresh.stop()
                naive_walls.append(time.perf_counter() - started)
                started = time.perf_counter()
                _render_one(persistent, spec, config.render.timeout_s)
                persistent_walls.append(time.perf_counter() - started)
        finally:
            persistent.stop()
    return {
        "renders": renders,
        "s_per_render": round(sum(naive_walls) / renders, 4),
        "cycles_s_per_render": round(sum(naive_cycles) / renders, 4),
        "persistent_s_per_render_same_specs": round(sum(persistent_walls) / renders, 4),
        "persistent_speedup": round(sum(naive_walls) / sum(persistent_walls), 2),
    }
