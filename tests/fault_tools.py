"""Helpers for the fault tests: start the command line or the flow as a real process, find its render workers,
wait for the manifest, fingerprint shards.

The slow job: renders slower than the smoke preset's (128 samples, no adaptive sampling: about 0.5 s each on 2
cores, 64x64) so there is time to strike in the middle of a run: 6 renders, 2 per shard, 1 per batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import REPO

RENDERS = 6
SHARDS = 3
SLOW_CONFIG = f"""\
preset: smoke
num_renders: {RENDERS}
render:
  spp: 512  # slow enough that a signal sent after the first shard finds the job still running
  adaptive_sampling: false
  batch_size: 1
dataset:
  renders_per_shard: 2
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def started_cli(
    *args: str, log_dir: Path, module: str = "synthgen", env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``python -m MODULE ARGS`` in its own process group; killed (with its render workers) if still running."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "stdout", "w") as stdout, open(log_dir / "stderr", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=REPO,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
            env=env,
            # A child inherits ignored signals, and Python installs no Ctrl-C handler for an ignored SIGINT: some
            # earlier test in the same pytest process may have left SIGINT ignored; a user's terminal does not.
            preexec_fn=_default_sigint,
        )
    try:
        yield process
    finally:
        workers = render_workers(process.pid, recursive=True)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line), from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        table[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return table


def render_workers(parent: int, recursive: bool = False) -> list[int]:
    """Blender worker processes started by ``parent`` (or, recursively, by its descendants)."""
    table = _processes()
    family = {parent}
    if recursive:
        grew = True
        while grew:
            children = {pid for pid, (ppid, _) in table.items() if ppid in family} - family
            family |= children
            grew = bool(children)
    return [pid for pid, (ppid, cmdline) in table.items() if ppid in family and b"blender_scenes.worker" in cmdline]


def wait_for(condition: Callable[[], object], timeout: float = 120, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def manifest_files(out: Path) -> list[str]:
    """The shard files the manifest lists ("train/shard-00000.parquet", ...)."""
    try:  # the manifest is replaced atomically, so a read sees a whole one
        return [s["name"] for s in json.loads((out / "manifest.json").read_text())["shards"]]
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def manifest_shards(out: Path) -> list[str]:
    """The finished shards (render plans, "shard-00000.parquet") the manifest lists; each is one file per split."""
    return sorted({name.rsplit("/", 1)[-1] for name in manifest_files(out)})


def shard_digests(out: Path) -> dict[str, str]:
    files = sorted((out / "data").glob("*/*.parquet"))
    return {f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def sample_ids(out: Path) -> list[str]:
    return pq.read_table(out / "data", columns=["sample_id"]).column("sample_id").to_pylist()


def expected_ids() -> list[str]:
    return [f"s0-r{i:08d}-a000" for i in range(RENDERS)]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower()]
