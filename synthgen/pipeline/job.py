"""The render pipeline shared by the command line and the Prefect flows.

plan shards -> sample specs -> render them through the worker pool -> rows (clean + augmented) -> write each
shard atomically -> keep the manifest current. A rerun of the same job resumes: finished shards are kept.

The command line streams every shard through one pool (``run_job`` -> ``render_shards``), so no worker idles at
a shard boundary. The Prefect flow (``flows/generate.py``) runs one task per shard, each calling
``render_shard`` with its own pool; both end in the same code that turns renders into rows and writes a shard.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from synthgen.assets import prepare_asset
from synthgen.augment import Augmenter
from synthgen.config import JobConfig, part_configs
from synthgen.dataset.card import write_dataset_card_or_warn
from synthgen.dataset.folder import DATA_DIR_NAME, SPLIT_DIRS, DatasetWriter, plan_label, shard_name
from synthgen.dataset.shard_writer import ShardRecord, shard_provenance, write_shard
from synthgen.dataset.storage import DatasetStore
from synthgen.pipeline.devices import resolve_device
from synthgen.pipeline.render_pool import RenderPool
from synthgen.pipeline.rows import rows_for_render
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.mix import MixScene
from synthgen.scenes.registry import scene_kind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardPlan:
    index: int
    render_start: int
    render_stop: int

    @property
    def name(self) -> str:
        """The plan's label; its files are data/<split>/<name> for each split its rows fall in."""
        return plan_label(self.index)

    @property
    def render_indices(self) -> range:
        return range(self.render_start, self.render_stop)


@dataclass
class JobSummary:
    out: str
    rows: int = 0
    shards: int = 0
    shards_written: int = 0
    shards_kept: int = 0
    renders: int = 0
    seconds: float = 0.0
    render_seconds: float = 0.0  # summed Cycles time inside the workers
    worker_restarts: int = 0
    timings: dict[str, float] = field(default_factory=dict)


ProgressCallback = Callable[[int, int], None]  # (samples written so far in this run, samples planned)


def plan_shards(config: JobConfig) -> list[ShardPlan]:
    per_shard = config.dataset.renders_per_shard
    count = math.ceil(config.num_renders / per_shard)
    return [ShardPlan(i, i * per_shard, min(config.num_renders, (i + 1) * per_shard)) for i in range(count)]


def prepare_assets(config: JobConfig) -> None:
    """Fetches what the scene needs once, here, so workers never race to download it or fail one by one."""
    jobs = part_configs(config).values() if isinstance(config.scene, MixScene) else [config]
    for name in dict.fromkeys(a for job in jobs for a in scene_kind(job.scene.type).required_assets(job.scene)):
        prepare_asset(name)


def make_pool(config: JobConfig, workers: int | None = None, threads: int | None = None) -> RenderPool:
    """A pool of ``workers`` Blender processes with ``threads`` Cycles threads each (default ``render.threads``, or
    the cores shared among the workers). Workers default to ``config.workers`` on the CPU and to one per GPU
    (``render.workers_per_gpu``) on a GPU device."""
    prepare_assets(config)
    settings = config.render
    device = resolve_device(settings.device)
    if device.is_gpu:  # one worker per GPU by default (render.workers_per_gpu), the CPU threads shared out
        workers = workers or len(device.gpus) * settings.workers_per_gpu
    workers = workers or config.workers
    threads = threads or settings.threads or max(1, (os.cpu_count() or 1) // workers)
    return RenderPool(
        workers=workers,
        threads_per_worker=threads,
        device_type=device.type,
        gpus=len(device.gpus),
        batch_size=settings.batch_size,
        timeout_s=settings.timeout_s,
        retries=settings.retries,
        max_renders_per_worker=settings.max_renders_per_worker,
    )


def make_augmenter(config: JobConfig) -> Augmenter | None:
    return Augmenter(config.augment) if config.variants > 0 else None


def render_shards(
    config: JobConfig,
    plans: list[ShardPlan],
    pool: RenderPool,
    dataset: DatasetWriter | DatasetStore,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[ShardRecord], float]:
    """Renders the planned shards through ``pool``; each shard is written the moment its last render is in.

    With a ``DatasetWriter`` each shard is also recorded in the manifest at once; with a bare ``DatasetStore`` (a
    task in another process) the caller records the returned records. Returns the shard records and the summed
    in-worker render time.
    """
    store = dataset.store if isinstance(dataset, DatasetWriter) else dataset
    augmenter = make_augmenter(config)
    rows_per_render = 1 + config.variants
    total = sum(len(p.render_indices) for p in plans) * rows_per_render
    shard_of = {i: plan for plan in plans for i in plan.render_indices}
    waiting = {plan.name: len(plan.render_indices) for plan in plans}
    rows: dict[str, dict[int, list[dict[str, Any]]]] = {plan.name: {} for plan in plans}
    specs = (sample_spec(config, i) for plan in plans for i in plan.render_indices)  # drawn as the pool asks
    records: list[ShardRecord] = []
    render_seconds = 0.0
    done = 0
    for result in pool.render(specs):
        index = result.spec["render_index"]
        plan = shard_of[index]
        rows[plan.name][index] = rows_for_render(
            result, config.variants, augmenter, config.dataset.splits, config.dataset.image_codec
        )
        render_seconds += result.output["timings"]["render_s"]
        done += rows_per_render
        waiting[plan.name] -= 1
        if waiting[plan.name] == 0:
            plan_records = write_plan_files(
                config, plan, [row for i in sorted(rows[plan.name]) for row in rows[plan.name][i]], store
            )
            if isinstance(dataset, DatasetWriter):
                dataset.record_shards(plan_records)
            records.extend(plan_records)
            del rows[plan.name]
        if on_progress:
            on_progress(done, total)
    return records, render_seconds


def write_plan_files(
    config: JobConfig, plan: ShardPlan, rows: list[dict[str, Any]], store: DatasetStore
) -> list[ShardRecord]:
    """Writes a finished plan's rows, one file per split (data/<split>/shard-NNNNN.parquet), each atomically; each
    file's metadata names the plan's other files, so ``synthgen repair`` can tell a whole plan from a part."""
    by_split: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_split.setdefault(row["split"], []).append(row)
    names = {split: shard_name(plan.index, split) for split in SPLIT_DIRS if split in by_split}
    provenance = shard_provenance(config, (plan.render_start, plan.render_stop)) | {"files": sorted(names.values())}
    return [
        write_shard(
            by_split[split],
            f"{DATA_DIR_NAME}/{name}",
            config.dataset.row_group_rows,
            (plan.render_start, plan.render_stop),
            store=store,
            provenance=provenance,
        )
        for split, name in names.items()
    ]


def render_shard(
    config: JobConfig, plan: ShardPlan, pool: RenderPool, dataset: DatasetWriter | DatasetStore
) -> tuple[list[ShardRecord], float]:
    """One render plan (what a flow task does): its renders through ``pool``, rows, one file per split."""
    return render_shards(config, [plan], pool, dataset)


def finish_dataset(dataset: DatasetWriter) -> None:
    """Marks the dataset complete and writes its card (a folder or object storage alike)."""
    dataset.write_manifest(complete=True)
    write_dataset_card_or_warn(dataset.store.location)


def run_job(
    config: JobConfig,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    dataset: DatasetWriter | None = None,
) -> JobSummary:
    """Renders a whole dataset into ``config.out`` (or finishes an interrupted one).

    ``dataset`` is an output folder already opened (checked and locked) by the caller; the run releases it.
    """
    started = time.perf_counter()
    dataset = dataset or DatasetWriter(config, overwrite).open()
    dataset.render_device = dataset.render_device or resolve_device(config.render.device).record()
    try:
        plans = plan_shards(config)
        todo = [plan for plan in plans if not dataset.is_done(plan.render_start, plan.render_stop)]
        summary = JobSummary(out=str(config.out), shards=len(plans), shards_kept=len(plans) - len(todo))
        if todo:
            with make_pool(config) as pool:
                records, summary.render_seconds = render_shards(config, todo, pool, dataset, on_progress)
                summary.worker_restarts = pool.restarts
            summary.shards_written = len({(r.render_start, r.render_stop) for r in records})  # plans, not files
            summary.renders = sum(len(p.render_indices) for p in todo)
        finish_dataset(dataset)
        summary.rows = sum(r.rows for r in dataset.shards.values())
    finally:
        dataset.release()
    summary.seconds = time.perf_counter() - started
    return summary
