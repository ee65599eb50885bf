"""The benchmark's building blocks that need no Blender (the figures come from `synthgen bench`, never a test)."""

from __future__ import annotations

import os
from pathlib import Path

from synthgen.bench.loading import IMAGES, LABELS, export_loose, read_loose, read_shards, replicate_dataset
from synthgen.bench.machine import machine_info, rss_kib
from synthgen.bench.suite import format_table
from synthgen.data import open_dataset
from synthgen.data.decode import array_columns
from tests.fake_dataset import object_rows, write_fake_dataset


def test_the_loading_benchmark_reads_the_same_samples_both_ways(tmp_path: Path) -> None:
    source = write_fake_dataset(tmp_path / "source", object_rows(5))
    copy = replicate_dataset(source, tmp_path / "copy", 23)
    dataset = open_dataset(copy)
    assert dataset.count_rows() == 23 and len(set(dataset.to_arrow(columns=["sample_id"]).column(0).to_pylist())) == 23
    labels = export_loose(copy, tmp_path / "loose")
    assert len(labels) == 23 and len(list((tmp_path / "loose").iterdir())) == 4 * 23
    arrays = {k: v for k, v in array_columns(dataset.schema).items() if k in LABELS}
    assert read_loose(labels, arrays) == 23 == read_shards(dataset.reader(columns=[*LABELS, *IMAGES]))


def test_machine_facts_and_resident_memory() -> None:
    rss, peak = rss_kib(os.getpid())
    assert 0 < rss <= peak
    info = machine_info()
    assert info["cores"] == os.cpu_count() and info["pyarrow"]


def test_the_table_names_every_figure_and_its_goal() -> None:
    loading = {"shards_samples_per_s": 900.0, "loose_samples_per_s": 300.0, "speedup": 3.0}
    result = {
        "mode": "quick",
        "seconds": 20.0,
        "machine": {"cpu": "cpu", "cores": 2, "memory_gib": 24, "bpy": "5.0.1"},
        "render": {"renders": 8, "resolution": [128, 128], "spp": 16, "s_per_render": 0.5,
                   "cycles_s_per_render": 0.48, "overhead_ratio": 1.04, "steady_overhead_ratio": 1.01,
                   "first_result_s": 1.0},
        "naive": {"renders": 2, "s_per_render": 1.0, "persistent_s_per_render_same_specs": 0.5,
                  "persistent_speedup": 2.0},
        "augment": {"samples_per_s": 640.0},
        "loading": {"warm": loading, "cold": loading, "raw_cold": loading},
        "memory": {"rss_mib": {"20": 296.0, "100": 340.0}, "growth_pct": 14.9},
    }  # fmt: skip
    table = format_table(result)
    assert "1.040" in table and "ok (goal <= 1.10)" in table and "2.00x" in table
    assert "296 / 340 MiB (+14.9%)  MISSED (goal < 5%)" in table and "3.00x ok (goal >= 2x)" in table
