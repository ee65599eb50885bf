"""``python -m synthgen bench [--quick]``: every benchmark in one run; a table, then one JSON line.

Full mode uses the tabletop scene at the former quickstart settings (256 px, 32 spp, denoised) for the render
figures and 50 / 500 renders for memory; quick mode (for CI-sized machines) uses 128 px and 20 / 100 renders at 64 px.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen.bench.augment import bench_augment
from synthgen.bench.loading import bench_loading
from synthgen.bench.machine import machine_info
from synthgen.bench.memory import bench_memory
from synthgen.bench.render import bench_naive, bench_pipeline
from synthgen.config import load_config

log = logging.getLogger(__name__)

GOAL_OVERHEAD = 1.10
GOAL_LOADING_SPEEDUP = 2.0
GOAL_MEMORY_GROWTH_PCT = 5.0


@dataclass(frozen=True)
class BenchSettings:
    renders: int
    resolution: int
    spp: int
    naive_renders: int
    augment_samples: int
    memory_checkpoints: tuple[int, int]
    loading_rows: int = 1024
    memory_resolution: int = 64
    memory_spp: int = 4


FULL = BenchSettings(renders=24, resolution=256, spp=32, naive_renders=4, augment_samples=2000,
                     memory_checkpoints=(50, 500))  # fmt: skip
QUICK = BenchSettings(renders=8, resolution=128, spp=16, naive_renders=2, augment_samples=300,
                      memory_checkpoints=(20, 100), loading_rows=256)  # fmt: skip


def run_bench(settings: BenchSettings, scratch: Path) -> dict[str, Any]:
    started = time.perf_counter()
    render_config = load_config(
        "tabletop",  # the former quickstart scene (the quickstart is a mix of scene kinds now)
        overrides={
            "out": str(scratch / "pipeline"),
            "num_renders": settings.renders,
            "resolution": settings.resolution,
            "render.spp": settings.spp,
            "dataset.renders_per_shard": settings.renders,
        },
    )
    log.info("bench: pipeline, %d renders at %d px", settings.renders, settings.resolution)
    load_before = os.getloadavg()[0]
    pipeline = bench_pipeline(render_config)
    log.info("bench: naive baseline, %d fresh Blender processes", settings.naive_renders)
    naive = bench_naive(render_config, settings.naive_renders)
    log.info("bench: augmentation, %d samples", settings.augment_samples)
    augment = bench_augment("medium", settings.augment_samples, 256)
    log.info("bench: loading, shards vs loose files")
    loading = bench_loading(Path(render_config.out), scratch / "loading", settings.loading_rows)
    memory_config = load_config(
        "smoke",
        overrides={
            "out": str(scratch / "memory"),
            "resolution": settings.memory_resolution,
            "render.spp": settings.memory_spp,
        },
    )
    log.info("bench: worker memory over %d renders", max(settings.memory_checkpoints))
    memory = bench_memory(memory_config, settings.memory_checkpoints)
    return {
        "benchmark": "synthgen",
        "mode": "quick" if settings == QUICK else "full",
        "machine": machine_info(),
        "render": pipeline | {"goal_overhead_ratio": GOAL_OVERHEAD},
        "naive": naive,
        "augment": augment,
        "loading": loading | {"goal_speedup": GOAL_LOADING_SPEEDUP},
        "memory": memory | {"goal_growth_pct": GOAL_MEMORY_GROWTH_PCT},
        "seconds": round(time.perf_counter() - started, 1),
        # Other processes on the machine skew every figure: the 1-minute load average before and after.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _goal(ok: bool, goal: str) -> str:
    return f"{_verdict(ok)} (goal {goal})"


def format_table(result: dict[str, Any]) -> str:
    r, n, a, m = (result[k] for k in ("render", "naive", "augment", "memory"))
    machine = result["machine"]
    checkpoints = list(m["rss_mib"].items())
    (first, rss_first), (last, rss_last) = checkpoints[0], checkpoints[-1]
    res = "x".join(str(v) for v in r["resolution"])
    overhead, steady = r["overhead_ratio"], r["steady_overhead_ratio"]
    rows = [
        ("render, pipeline end to end", f"{r['s_per_render']:.3f} s/render", f"{r['renders']} x {res}, {r['spp']} spp"),
        ("render, Cycles inside the worker", f"{r['cycles_s_per_render']:.3f} s/render", ""),
        ("pipeline overhead (end to end / Cycles)", f"{overhead:.3f}", _goal(overhead <= GOAL_OVERHEAD, "<= 1.10")),
        ("  steady state (after the 1st result)", f"{steady:.3f}", f"start + 1st render {r['first_result_s']:.1f} s"),
        ("naive: fresh Blender per render", f"{n['s_per_render']:.3f} s/render", f"{n['renders']} renders"),
        ("  persistent worker, the same renders", f"{n['persistent_s_per_render_same_specs']:.3f} s/render", ""),
        ("persistent worker speedup over naive", f"{n['persistent_speedup']:.2f}x", ""),
        ("augmentation (medium, 256 px)", f"{a['samples_per_s']:.0f} samples/s/core", "1 thread"),
    ]
    for key, what in (("warm", "decoded, warm cache"), ("cold", "decoded, cold cache"), ("raw_cold", "raw, cold")):
        lo = result["loading"][key]
        goal = _goal(lo["speedup"] >= GOAL_LOADING_SPEEDUP, ">= 2x") if key != "raw_cold" else "no decoding"
        rows.append(
            (
                f"loading {what}: shards / loose",
                f"{lo['shards_samples_per_s']:.0f} / {lo['loose_samples_per_s']:.0f} samples/s",
                f"{lo['speedup']:.2f}x {goal}",
            )
        )
    rows.append(
        (
            f"worker RSS after {first} / {last} renders",
            f"{rss_first:.0f} / {rss_last:.0f} MiB ({m['growth_pct']:+.1f}%)",
            _goal(m["growth_pct"] < GOAL_MEMORY_GROWTH_PCT, "< 5%"),
        )
    )
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    lines = [
        f"synthgen bench ({result['mode']}): {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"bpy {machine['bpy']}, {result['seconds']:.0f} s, load average {result.get('load_average')}",
        *(f"{name:<{width}}  {value:<{value_width}}  {note}".rstrip() for name, value, note in rows),
    ]
    return "\n".join(lines)


def main(quick: bool = False, scratch: Path | None = None) -> dict[str, Any]:
    """Runs the suite, prints the table and the JSON line, returns the result."""
    settings = QUICK if quick else FULL
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
        result = run_bench(settings, scratch)
    else:
        with tempfile.TemporaryDirectory(prefix="synthgen-bench-") as temp:
            result = run_bench(settings, Path(temp))
    print(format_table(result))  # noqa: T201 (the benchmark's output)
    print(json.dumps(result))  # noqa: T201
    return result
