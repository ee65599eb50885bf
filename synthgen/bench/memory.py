"""Worker memory over many renders: resident set size of one long-lived worker after N and after M renders."""

from __future__ import annotations

import os
import time
from typing import Any

from synthgen.bench.machine import rss_kib
from synthgen.config import JobConfig
from synthgen.pipeline.render_pool import RenderPool
from synthgen.pipeline.specs import sample_spec


def bench_memory(config: JobConfig, checkpoints: tuple[int, ...]) -> dict[str, Any]:
    """Renders ``max(checkpoints)`` specs in one worker (never recycled) and reads its VmRSS at each checkpoint."""
    total = max(checkpoints)
    specs = [sample_spec(config, i) for i in range(total)]
    rss: dict[int, int] = {}
    started = time.perf_counter()
    with RenderPool(
        workers=1,
        threads_per_worker=config.render.threads or os.cpu_count() or 1,
        batch_size=1,  # one spec per message, so "after N renders" is exact
        timeout_s=config.render.timeout_s,
        retries=0,
        max_renders_per_worker=total + 1,
    ) as pool:
        pids: set[int] = set()
        for done, _ in enumerate(pool.render(specs), start=1):
            if done in checkpoints:
                pid = pool.worker_pids()[0]
                pids.add(pid)
                rss[done] = rss_kib(pid)[0]
        restarts = pool.restarts
    first, last = min(checkpoints), total
    return {
        "renders": total,
        "resolution": list(config.resolution),
        "spp": config.render.spp,
        "rss_mib": {str(k): round(v / 1024, 1) for k, v in sorted(rss.items())},
        "growth_pct": round(100 * (rss[last] - rss[first]) / rss[first], 2),
        "same_process": len(pids) == 1 and restarts == 0,
        "seconds": round(time.perf_counter() - started, 2),
    }
