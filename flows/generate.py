"""``generate_dataset``: the Prefect flow that renders a synthgen dataset, one task per shard.

Parameters mirror ``python -m synthgen render``. The flow checks every input before any work (the config, the
output folder and its lock), plans the shards, keeps the finished ones of an earlier run (resume), maps
``render_shard_task`` over the rest on a bounded task runner (threads, or Dask), records each shard in the
manifest as it lands, then marks the dataset complete and runs the QA task (validate + contact sheet). Progress,
counts and a summary are published as Prefect artifacts.

Entry point for deployments: ``flows/generate.py:generate_dataset`` (see prefect.yaml). Tasks live in importable
modules (``flows.shard_task``) so Dask workers can unpickle them even when Prefect loads this file by path.
"""

# No `from __future__ import annotations` here: `flow.serve` hands the flow to its run process with cloudpickle,
# which copies the function with only the globals its code uses, so string annotations such as "Literal[...]"
# could not be resolved there and every served run failed validating its parameters (tests/test_prefect_schedules.py).

import time
from pathlib import Path
from typing import Any, Literal

from prefect import flow
from prefect.futures import as_completed
from prefect.logging import get_run_logger

from flows.artifacts import ProgressTracker, publish_counts, publish_summary, summary_markdown
from flows.qa import qa_task
from flows.shard_task import ShardResult, render_shard_task
from flows.task_runners import choose_task_runner
from synthgen.config import JobConfig, flag_overrides, load_config
from synthgen.dataset.folder import DatasetWriter
from synthgen.errors import DatasetInvalid, RenderFailed, UsageError
from synthgen.pipeline.devices import resolve_device
from synthgen.pipeline.job import ShardPlan, finish_dataset, plan_shards

DATE_PLACEHOLDER = "{date}"  # in `out`: replaced by the run's scheduled date, e.g. outputs/tabletop-{date}


def job_config(
    preset: str | None = None,
    config: str | None = None,
    out: str | None = None,
    num_renders: int | None = None,
    variants: int | None = None,
    augment: str | None = None,
    seed: int | None = None,
    resolution: str | int | None = None,
    spp: int | None = None,
    workers: int | None = None,
) -> JobConfig:
    """The job config from the flow's parameters, with the command line's precedence and one-line errors.

    ``{date}`` in ``out`` becomes the run's scheduled date, so a nightly deployment writes a new dataset each
    night while a retry of the same run resumes the same folder."""
    if preset is None and config is None and out is None:
        raise UsageError("generate_dataset: give preset or config (or at least out)")
    overrides = flag_overrides(
        out=out, num_renders=num_renders, variants=variants, augment=augment,
        resolution=str(resolution) if resolution is not None else None, spp=spp, seed=seed, workers=workers,
    )  # fmt: skip
    job = load_config(preset, Path(config) if config else None, overrides)
    if DATE_PLACEHOLDER in job.out:
        job = job.model_copy(update={"out": job.out.replace(DATE_PLACEHOLDER, run_date())})
    return job


def run_date() -> str:
    """The flow run's scheduled date (UTC), or today outside a flow run: a nightly run and its retries share it."""
    from prefect.runtime import flow_run

    return flow_run.scheduled_start_time.strftime("%Y-%m-%d")


def _render_pending(
    job: JobConfig,
    todo: list[ShardPlan],
    dataset: DatasetWriter,
    task_runner: str,
    dask_address: str | None,
    dask_workers: int | None,
    progress: ProgressTracker,
) -> tuple[list[ShardResult], list[str], str]:
    """Maps the shard task over ``todo``; records every shard that lands, collects the failures."""
    logger = get_run_logger()
    choice = choose_task_runner(task_runner, job, dask_address, dask_workers)
    logger.info(
        "rendering %d shard(s) on %s, %d Cycles thread(s) per render worker",
        len(todo),
        choice.description,
        choice.render_threads,
    )
    results: list[ShardResult] = []
    failures: list[str] = []
    with choice.started() as runner:
        futures = {
            runner.submit(
                render_shard_task,
                {"config": job, "plan": plan, "store": dataset.store, "render_threads": choice.render_threads},
            ): plan
            for plan in todo
        }
        for future in as_completed(list(futures)):
            plan = futures[future]
            try:
                result: ShardResult = future.result()
            except Exception as exc:  # the task already used its retries
                failures.append(f"{plan.name}: {exc}")
                logger.error("%s failed: %s", plan.name, exc)
                continue
            dataset.record_shards(result.records)  # serialised by the writer's lock; tasks never touch the manifest
            results.append(result)
            progress.shard_done()
            logger.info("%s recorded (%d/%d shards)", plan.name, progress.done, progress.total)
    return results, failures, choice.description


@flow(name="generate-dataset", log_prints=False)
def generate_dataset(
    preset: str | None = None,
    config: str | None = None,
    out: str | None = None,
    num_renders: int | None = None,
    variants: int | None = None,
    augment: str | None = None,
    seed: int | None = None,
    resolution: str | int | None = None,
    spp: int | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    task_runner: Literal["thread", "dask"] = "thread",
    dask_address: str | None = None,
    dask_workers: int | None = None,
    contact_sheet_samples: int = 16,
) -> dict[str, Any]:
    """Renders (or resumes) a synthgen dataset into ``out`` (a folder or a URL such as s3://bucket/prefix)."""
    logger = get_run_logger()
    started = time.perf_counter()
    job = job_config(preset, config, out, num_renders, variants, augment, seed, resolution, spp, workers)
    choose_task_runner(task_runner, job, dask_address, dask_workers)  # bad runner settings fail before any work
    # An unavailable GPU fails here, before any work; on a Dask cluster each worker resolves its own device.
    device = None if dask_address else resolve_device(job.render.device).record()
    dataset = DatasetWriter(job, overwrite=overwrite).open()  # folder checks and the lock, before any work
    dataset.render_device = device or {"requested": job.render.device, "type": "resolved on each Dask worker"}
    logger.info("render device: %s", dataset.render_device)
    try:
        plans = plan_shards(job)
        todo = [plan for plan in plans if not dataset.is_done(plan.render_start, plan.render_stop)]
        logger.info(
            "%s: %d renders x %d rows in %d shard(s); %d kept from an earlier run, %d to render",
            job.out,
            job.num_renders,
            1 + job.variants,
            len(plans),
            len(plans) - len(todo),
            len(todo),
        )
        progress = ProgressTracker(job.out, len(plans), len(plans) - len(todo))
        results: list[ShardResult] = []
        runner_description = "none (nothing to render)"
        if todo:
            results, failures, runner_description = _render_pending(
                job, todo, dataset, task_runner, dask_address, dask_workers, progress
            )
            if failures:
                raise RenderFailed(
                    f"{len(failures)} of {len(todo)} shard(s) failed ({failures[0]}); "
                    "finished shards are kept: run the flow again to resume"
                )
        finish_dataset(dataset)
        qa = qa_task(job.out, contact_sheet_samples)
    finally:
        dataset.release()
    summary = {
        "out": job.out,
        "rows": sum(r.rows for r in dataset.shards.values()),
        "shards": len(plans),
        "shards_written": len(results),
        "shards_kept": len(plans) - len(todo),
        "renders": sum(len(p.render_indices) for p in todo),
        "seconds": time.perf_counter() - started,
        "render_seconds": sum(r.render_seconds for r in results),
        "worker_restarts": sum(r.worker_restarts for r in results),
        "task_runner": runner_description,
        "valid": not qa.problems,
        "contact_sheet": qa.contact_sheet,
        "shard_records": [r.to_json() for r in sorted(dataset.shards.values(), key=lambda r: r.name)],
    }
    publish_counts(job.out, qa.counts)
    publish_summary(job.out, summary_markdown(summary, qa.problems, qa.summary, qa.contact_sheet, qa.notes))
    if qa.problems:
        raise DatasetInvalid(f"{job.out}: {len(qa.problems)} problem(s), first: {qa.problems[0]}")
    logger.info(
        "done: %d rows in %d shard(s) (%d written, %d kept) in %.1fs",
        summary["rows"],
        summary["shards"],
        summary["shards_written"],
        summary["shards_kept"],
        summary["seconds"],
    )
    return summary
