"""Command line: ``python -m synthgen render | inspect | validate | repair | export | eval``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from synthgen.errors import SynthgenError, UsageError

log = logging.getLogger("synthgen")
console = Console(stderr=True)


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the flag, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _setting(text: str) -> tuple[str, Any]:
    """``--set KEY=VALUE``: a dotted config key and a YAML value, e.g. ``scene.nir.enabled=true``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. dataset.image_codec=png), got {text!r}")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"{key.strip()}: {value!r} is not a YAML value") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="synthgen", description="Synthetic labelled training data rendered with Blender.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    render = commands.add_parser("render", help="render a dataset (or resume one) into --out")
    source = render.add_mutually_exclusive_group()
    source.add_argument("--preset", help="a built-in preset (see `synthgen presets`)")
    source.add_argument("--config", type=Path, help="a YAML config file (may name a preset to extend)")
    render.add_argument("--out", help="output folder or URL: s3://bucket/prefix, file://... (default outputs/PRESET)")
    render.add_argument("--num-renders", type=_int, help="renders to make")
    render.add_argument("--variants", type=_int, help="augmented rows per render (needs augment.preset)")
    render.add_argument("--augment", help="augmentation preset: none, light, medium, heavy, sensor")
    render.add_argument("--resolution", help="square side in pixels (256) or WIDTHxHEIGHT (640x480)")
    render.add_argument("--spp", type=_int, help="Cycles samples per pixel")
    render.add_argument("--seed", type=_int, help="job seed")
    render.add_argument("--workers", type=_int, help="Blender worker processes")
    render.add_argument(
        "--set",
        dest="settings",
        metavar="KEY=VALUE",
        type=_setting,
        action="append",
        default=[],
        help="any config setting by its dotted key, value in YAML (repeatable): --set dataset.image_codec=png",
    )
    render.add_argument("--overwrite", action="store_true", help="replace a different synthgen dataset in --out")
    render.add_argument("--no-progress", action="store_true", help="no progress bar")

    inspect = commands.add_parser("inspect", help="counts, distributions and a contact sheet of a dataset")
    inspect.add_argument("dataset", type=Path)
    inspect.add_argument("--samples", type=_int, default=16, help="images on the contact sheet")
    inspect.add_argument(
        "--min-identity-renders", type=_int, default=5, help="warn about identities with fewer renders than this"
    )

    validate = commands.add_parser("validate", help="check every shard against the manifest")
    validate.add_argument("dataset", help="a dataset folder or URL (s3://..., file://...)")

    repair = commands.add_parser(
        "repair", help="rebuild a lost or truncated manifest from the shards' own metadata and checksums"
    )
    repair.add_argument("dataset", help="a dataset folder or URL")

    commands.add_parser("presets", help="list the built-in presets")

    from synthgen.export.cli import add_export_parser

    add_export_parser(commands)

    from synthgen.eval.command import add_eval_parser

    add_eval_parser(commands)

    bench = commands.add_parser("bench", help="render overhead, naive baseline, augmentation, loading, memory")
    bench.add_argument("--quick", action="store_true", help="a few minutes on a CI-sized machine")
    bench.add_argument("--scratch", type=Path, help="keep the benchmark's datasets in this folder")
    bench.add_argument("--quality", action="store_true", help="quality at cost: render settings per scene kind")
    bench.add_argument("--size", type=int, default=128, help="--quality: image size in pixels")
    bench.add_argument("--specs", type=int, default=2, help="--quality: specs per scene kind")
    bench.add_argument("--reference-spp", type=int, default=512, help="--quality: samples of the reference")
    bench.add_argument("--kinds", help="--quality: comma-separated scene kinds (default: all)")
    bench.add_argument("--candidates", help="--quality: comma-separated settings to try (default: all)")
    return parser


def _render(args: argparse.Namespace) -> int:
    from synthgen.config import flag_overrides, load_config
    from synthgen.dataset.folder import DatasetWriter
    from synthgen.pipeline.devices import resolve_device
    from synthgen.pipeline.job import run_job

    overrides = flag_overrides(
        out=args.out, num_renders=args.num_renders, variants=args.variants,
        augment=args.augment, resolution=args.resolution, spp=args.spp, seed=args.seed, workers=args.workers,
    )  # fmt: skip
    overrides |= dict(args.settings)  # --set comes last: the most specific
    config = load_config(args.preset, args.config, overrides)
    if args.preset is None and args.config is None and args.out is None:
        raise UsageError("render: give --preset NAME or --config FILE (or at least --out DIR)")
    device = resolve_device(config.render.device)  # an unavailable GPU is a usage error before any work
    dataset = DatasetWriter(config, overwrite=args.overwrite).open()  # folder checks come before any work
    dataset.render_device = device.record()
    log.info(
        "rendering %d renders x %d rows at %dx%d, %d spp, %s into %s; render device %s",
        config.num_renders,
        1 + config.variants,
        *config.resolution,
        config.render.spp,
        f"{len(device.gpus) * config.render.workers_per_gpu} GPU worker(s)" if device.is_gpu
        else f"{config.workers} worker(s)",
        config.out,
        device.describe(),
    )  # fmt: skip
    columns = (
        TextColumn("[bold]render"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.2f} samples/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console, disable=args.no_progress) as progress:
        task = progress.add_task("render", total=None, rate=0.0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, rate=done / (time.perf_counter() - started))

        summary = run_job(config, on_progress=on_progress, dataset=dataset)
    overhead = summary.seconds - summary.render_seconds / max(1, config.workers)
    console.print(
        f"[bold green]done[/]: {summary.rows} rows in {summary.shards} shard(s) "
        f"({summary.shards_written} written, {summary.shards_kept} kept from an earlier run) "
        f"in {summary.seconds:.1f}s; Cycles {summary.render_seconds:.1f}s across workers, "
        f"other {max(0.0, overhead):.1f}s; worker restarts {summary.worker_restarts}\n"
        f"      -> {summary.out if '://' in summary.out else Path(summary.out).resolve()}"
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from synthgen.report import build_report

    report = build_report(Path(args.dataset), samples=args.samples, min_identity_renders=args.min_identity_renders)
    console.print(report.text)
    console.print(f"contact sheet -> {report.contact_sheet}")
    console.print(f"report -> {report.html}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from synthgen.dataset.validate import validate_dataset

    problems = validate_dataset(args.dataset)
    if problems:
        for problem in problems:
            console.print(f"[red]invalid[/]: {problem}", highlight=False, soft_wrap=True)
        return 1
    console.print(f"[green]valid[/]: {args.dataset}")
    return 0


def _repair(args: argparse.Namespace) -> int:
    from synthgen.dataset.repair import repair_dataset

    result = repair_dataset(args.dataset)
    for line in result.left_out:
        console.print(f"[yellow]left out[/]: {line}", highlight=False, soft_wrap=True)
    state = "complete" if result.complete else "incomplete: rerun `synthgen render` into it to render the rest"
    console.print(
        f"[green]repaired[/]: manifest ({result.manifest_was} before) rebuilt from {len(result.kept)} shard file(s), "
        f"{result.plans_kept} of {result.planned} planned shard(s), {state}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.quality:
        from synthgen.bench.quality_cli import main as run_quality

        return run_quality(args.size, args.specs, args.reference_spp, args.kinds, args.candidates)
    from synthgen.bench.suite import main as run_bench

    run_bench(quick=args.quick, scratch=args.scratch)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from synthgen.eval.command import run_eval_command

    return run_eval_command(args)


def _presets(_: argparse.Namespace) -> int:
    from synthgen.config import preset_names

    for name in preset_names():
        console.print(name)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    from synthgen.export.cli import run_export

    handler = {
        "render": _render,
        "inspect": _inspect,
        "validate": _validate,
        "repair": _repair,
        "presets": _presets,
        "bench": _bench,
        "eval": _eval,
        "export": lambda args: run_export(args, console),
    }[args.command]
    try:
        return handler(args)
    except SynthgenError as exc:
        console.print(f"synthgen: error: {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("synthgen: interrupted; finished shards are kept, rerun the same command to resume")
        return 130


if __name__ == "__main__":
    sys.exit(main())
