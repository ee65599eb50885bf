"""``python -m flows``: run the ``generate_dataset`` flow once, or serve it on a schedule, from the command line.

    python -m flows --preset smoke --out outputs/smoke-flow                     # one run (temporary local API)
    python -m flows --preset quickstart --task-runner dask --dask-workers 2     # shards on a local Dask cluster
    python -m flows --preset tabletop --serve nightly --cron "0 2 * * *"        # a deployment served in-process

Flags mirror ``python -m synthgen render``. Bad input is reported on one line (exit 2) before Prefect starts.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from synthgen.cli import _int, _OneLineParser
from synthgen.dataset.storage import DatasetStore
from synthgen.errors import SynthgenError, UsageError

log = logging.getLogger("flows")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m flows", description="Render a synthgen dataset with the Prefect flow.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", help="a built-in preset (see `synthgen presets`)")
    source.add_argument("--config", help="a YAML config file (may name a preset to extend)")
    parser.add_argument("--out", help="output folder or URL (s3://bucket/prefix, file://...)")
    parser.add_argument("--num-renders", type=_int)
    parser.add_argument("--variants", type=_int)
    parser.add_argument("--augment")
    parser.add_argument("--resolution")
    parser.add_argument("--spp", type=_int)
    parser.add_argument("--seed", type=_int)
    parser.add_argument("--workers", type=_int, help="shard tasks at a time (thread runner) / local Dask workers")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--task-runner", choices=["thread", "dask"], default="thread")
    parser.add_argument("--dask-address", help="scheduler of an existing Dask cluster (tcp://host:8786)")
    parser.add_argument("--dask-workers", type=_int, help="processes of the temporary local Dask cluster")
    parser.add_argument("--serve", metavar="NAME", help="serve the flow as deployment NAME instead of running once")
    parser.add_argument("--cron", help="with --serve: a cron schedule, e.g. '0 2 * * *'")
    return parser


def flow_parameters(args: argparse.Namespace) -> dict[str, Any]:
    parameters = {
        "preset": args.preset,
        "config": args.config,
        "out": args.out,
        "num_renders": args.num_renders,
        "variants": args.variants,
        "augment": args.augment,
        "seed": args.seed,
        "resolution": args.resolution,
        "spp": args.spp,
        "workers": args.workers,
        "overwrite": args.overwrite,
        "task_runner": args.task_runner,
        "dask_address": args.dask_address,
        "dask_workers": args.dask_workers,
    }
    return {key: value for key, value in parameters.items() if value is not None}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call otherwise
    from flows.generate import generate_dataset, job_config
    from flows.prefect_api import STARTUP_TIMEOUT_S, patient_temporary_server, startup_failure
    from flows.preflight import check_output
    from flows.task_runners import choose_task_runner

    parameters = flow_parameters(args)
    startup_timeout_s = STARTUP_TIMEOUT_S
    try:
        job = job_config(
            args.preset,
            args.config,
            args.out,
            args.num_renders,
            args.variants,
            args.augment,
            args.seed,
            args.resolution,
            args.spp,
            args.workers,
        )
        choose_task_runner(args.task_runner, job, args.dask_address, args.dask_workers)
        DatasetStore(job.out)  # an output URL nothing can open fails here too, before Prefect starts
        if args.cron and not args.serve:
            raise UsageError("--cron: only with --serve NAME")
        if not args.serve:  # a served flow resolves its output per run
            check_output(job, args.overwrite)
        with patient_temporary_server() as startup_timeout_s:
            if args.serve:
                generate_dataset.serve(name=args.serve, cron=args.cron, parameters=parameters)
                return 0
            summary = generate_dataset(**parameters)
    except SynthgenError as exc:
        sys.stderr.write(f"python -m flows: error: {exc}\n")
        return exc.exit_code
    except RuntimeError as exc:
        if (failure := startup_failure(exc, startup_timeout_s)) is None:
            raise
        sys.stderr.write(f"python -m flows: error: {failure}\n")
        return 1
    except KeyboardInterrupt:
        log.error("interrupted; finished shards are kept, run the same command again to resume")
        return 130
    log.info("done: %d rows in %d shard(s) -> %s", summary["rows"], summary["shards"], summary["out"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
