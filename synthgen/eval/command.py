"""``synthgen eval DIR --task TASK``: the subcommand's flags and what runs them (imported by synthgen/cli.py;
light: torch and the tasks are imported only when a task runs)."""

from __future__ import annotations

import argparse
import importlib
import logging
import time
from pathlib import Path
from typing import Any

from synthgen.errors import UsageError

log = logging.getLogger(__name__)

TASK_MODULES = {
    "palm-verification": "synthgen.eval.palm_verification",
    "pad": "synthgen.eval.pad",
    "keypoints": "synthgen.eval.keypoints",
    "detection": "synthgen.eval.detection",
}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def add_eval_parser(commands: Any) -> None:
    ev = commands.add_parser("eval", help="train a small baseline on the train split, measure it on held-out data")
    ev.add_argument("dataset", type=Path)
    ev.add_argument("--task", required=True, choices=list(TASK_MODULES), help="what to measure")
    ev.add_argument("--out", type=Path, help="output folder (default DATASET/eval/TASK)")
    ev.add_argument("--modalities", help="comma-separated: rgb, nir, both (default: all the dataset has)")
    ev.add_argument("--test-splits", default="test", help="held-out split(s), comma-separated (e.g. val,test)")
    ev.add_argument("--size", type=_positive, help="network input side in pixels (default 64; detection 128)")
    ev.add_argument("--epochs", type=_positive, help="training epochs (default per task)")
    ev.add_argument("--max-steps", type=_positive, help="stop training after this many steps (quick checks)")
    ev.add_argument("--batch-size", type=_positive, default=64)
    ev.add_argument("--lr", type=_rate, default=2e-3, help="AdamW learning rate")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--threads", type=_positive, default=2, help="torch CPU threads")
    ev.add_argument("--model", help="a registered model name (synthgen.eval.models)")
    ev.add_argument("--scaling", action="store_true", help="also train on 1/4 and 1/2 of the train identities")


MODEL_KINDS = {"palm-verification": "embedding", "pad": "pad", "keypoints": "keypoints", "detection": "detection"}
DEFAULT_EPOCHS = {"palm-verification": 40, "pad": 25, "keypoints": 40, "detection": 60}


def run_eval_command(args: argparse.Namespace) -> int:
    from synthgen.data import open_dataset
    from synthgen.eval.common import EvalOptions
    from synthgen.eval.data import check_splits, parse_modalities
    from synthgen.eval.training import TrainSettings

    if not args.dataset.is_dir():
        raise UsageError(f"eval: dataset {str(args.dataset)!r} is not a folder")
    dataset = open_dataset(args.dataset)
    test_splits = tuple(s.strip() for s in args.test_splits.split(",") if s.strip())
    check_splits(dataset, ("train",), test_splits)
    modalities = tuple(parse_modalities(args.modalities, "nir" in dataset.columns)) if args.modalities else None
    module = importlib.import_module(TASK_MODULES[args.task])  # registers the task's models
    if args.model is not None and args.task in MODEL_KINDS:
        from synthgen.eval.models import model_names

        if args.model not in model_names(MODEL_KINDS[args.task]):
            known = ", ".join(model_names(MODEL_KINDS[args.task]))
            raise UsageError(f"--model: {args.model!r} is not a {args.task} model (known: {known})")
    options = EvalOptions(
        dataset=dataset,
        out_dir=args.out or (args.dataset / "eval" / args.task),
        task=args.task,
        test_splits=test_splits,
        modalities=modalities,
        size=args.size or (128 if args.task == "detection" else 64),
        model=args.model,
        scaling=args.scaling,
        train=TrainSettings(
            epochs=args.epochs or DEFAULT_EPOCHS[args.task],
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            threads=args.threads,
            max_steps=args.max_steps,
        ),
    )
    started = time.perf_counter()
    module.run(options)
    log.info("eval %s done in %.1f s -> %s", args.task, time.perf_counter() - started, options.out_dir)
    return 0
