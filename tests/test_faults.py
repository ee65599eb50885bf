"""Faults during real runs of the command line (real Blender, the smoke preset at 64x64): each test really kills,
interrupts, fills or write-protects something, then checks that nothing was lost, duplicated or left half-written.
The jobs are slowed down (tests/fault_tools.py: 6 renders of about 0.5 s) so there is time to strike mid-run.
The same for the Prefect flow is in tests/test_flows.py.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from synthgen.dataset.validate import validate_dataset
from tests.conftest import REPO, run_cli
from tests.fault_tools import (
    SHARDS,
    SLOW_CONFIG,
    error_lines,
    expected_ids,
    manifest_files,
    manifest_shards,
    render_workers,
    sample_ids,
    shard_digests,
    started_cli,
    wait_for,
)

pytestmark = pytest.mark.blender


@pytest.fixture
def slow_config(tmp_path: Path) -> Path:
    path = tmp_path / "slow.yaml"
    path.write_text(SLOW_CONFIG)
    return path


def test_a_render_worker_killed_mid_shard_loses_and_duplicates_no_sample(slow_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    with started_cli("render", "--config", str(slow_config), "--out", str(out), log_dir=tmp_path / "log") as cli:
        wait_for(lambda: manifest_shards(out), what="the first shard")
        (worker,) = wait_for(lambda: render_workers(cli.pid), what="the render worker")
        os.kill(worker, signal.SIGKILL)  # it is rendering shard 1 (or 2): that shard's renders are half in
        assert len(manifest_shards(out)) < SHARDS
        assert cli.wait(timeout=180) == 0, (tmp_path / "log" / "stderr").read_text()
    assert "worker restarts 1" in (tmp_path / "log" / "stderr").read_text()
    assert validate_dataset(out) == []
    assert sorted(sample_ids(out)) == expected_ids(), "every sample exactly once"


@pytest.mark.parametrize("stop", ["SIGKILL the process group", "SIGINT (Ctrl-C)"])
def test_an_interrupted_run_resumes_with_only_the_missing_shards(stop: str, slow_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = ("render", "--config", str(slow_config), "--out", str(out), "--no-progress")
    with started_cli(*args, log_dir=tmp_path / "first") as cli:
        wait_for(lambda: manifest_shards(out), what="the first shard")
        workers = render_workers(cli.pid)
        if stop.startswith("SIGKILL"):
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait(timeout=30)
        else:
            cli.send_signal(signal.SIGINT)
            assert cli.wait(timeout=60) == 130
            stderr = (tmp_path / "first" / "stderr").read_text()
            assert "interrupted; finished shards are kept" in stderr
            assert "retrying" not in stderr and "died" not in stderr, stderr  # Ctrl-C is not a worker crash
        # Orphaned render workers notice their closed pipe and exit (a killed CLI cannot kill them itself).
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 60, "orphaned workers to exit")
    kept = manifest_shards(out)
    assert 1 <= len(kept) < SHARDS, "the run was stopped in the middle"
    before = shard_digests(out)
    assert set(before) == set(manifest_files(out)), "no shard outside the manifest, no partial file"
    assert not list((out / "data").rglob(".tmp-*"))

    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert f"{SHARDS - len(kept)} written, {len(kept)} kept" in result.stderr
    after = shard_digests(out)
    assert {name: after[name] for name in before} == before, "finished shards are byte-identical"
    assert validate_dataset(out) == []
    assert sorted(sample_ids(out)) == expected_ids()


def test_a_second_run_into_the_same_folder_is_refused(slow_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = ("render", "--config", str(slow_config), "--out", str(out), "--no-progress")
    with started_cli(*args, log_dir=tmp_path / "first") as first:
        wait_for(lambda: (out / "manifest.json").exists(), what="the first run to take the folder")
        second = run_cli(*args, timeout=120)
        assert second.returncode == 2
        (line,) = error_lines(second.stderr)
        assert f"another synthgen run (pid {first.pid} on " in line and str(out) in line
        assert first.wait(timeout=180) == 0
    assert validate_dataset(out) == []
    assert sorted(sample_ids(out)) == expected_ids()


def test_a_file_size_limit_mid_run_gives_one_line_and_no_partial_shard(slow_config: Path, tmp_path: Path) -> None:
    """A write refused by the kernel in the middle of the run: RLIMIT_FSIZE is lowered on the running command
    (after its render worker started, which keeps its own limit), so the first shard's write fails with EFBIG.
    The same path as a full disk (os.write raises); the real ENOSPC is the tmpfs test below (needs root)."""
    out = tmp_path / "ds"
    args = ("render", "--config", str(slow_config), "--out", str(out), "--no-progress")
    with started_cli(*args, log_dir=tmp_path / "first") as cli:
        wait_for(lambda: render_workers(cli.pid), what="the render worker")
        assert not manifest_shards(out)
        resource.prlimit(cli.pid, resource.RLIMIT_FSIZE, (16_000, 16_000))  # the manifest fits, a shard does not
        assert cli.wait(timeout=180) == 1
    (line,) = error_lines((tmp_path / "first" / "stderr").read_text())
    assert re.fullmatch(
        rf"synthgen: error: out: cannot write {out}/data/\w+/shard-00000\.parquet \(File too large\)", line
    )
    assert [p for p in (out / "data").rglob("*") if p.is_file()] == [], "no partial shard, no temporary file"
    assert json.loads((out / "manifest.json").read_text())["complete"] is False
    result = run_cli(*args)  # the limit is gone: the same command finishes the dataset
    assert result.returncode == 0, result.stderr
    assert validate_dataset(out) == []


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and mount namespaces (unshare -m)")


def _in_private_mount(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Runs ``script`` (sh) in a new mount namespace: its mounts vanish when it exits."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"PY": sys.executable, "MNT": str(tmp_path / "mnt"), "COPY": str(tmp_path / "copy")},
    )


@needs_mount
def test_a_full_disk_gives_one_line_and_no_partial_shard_and_the_rerun_finishes(tmp_path: Path) -> None:
    """A real ENOSPC: a 32 KiB tmpfs holds the manifest but not one shard (about 50 KB at 64x64)."""
    (tmp_path / "mnt").mkdir()
    script = """
        set -e
        mount -t tmpfs -o size=32k tmpfs "$MNT"
        set +e
        "$PY" -m synthgen render --preset smoke --out "$MNT/ds" --no-progress
        echo "first=$?"
        cp -a "$MNT/ds" "$COPY"
        mount -o remount,size=4m "$MNT"
        "$PY" -m synthgen render --preset smoke --out "$MNT/ds" --no-progress
        echo "second=$?"
        "$PY" -m synthgen validate "$MNT/ds"
        echo "validate=$?"
    """
    result = _in_private_mount(script, tmp_path)
    assert "first=1" in result.stdout, result.stdout + result.stderr
    errors = error_lines(result.stderr)
    assert errors[0].startswith(f"synthgen: error: out: cannot write {tmp_path}/mnt/ds/data/")
    assert errors[0].endswith("(No space left on device)") and len(errors) == 1, result.stderr
    copy = tmp_path / "copy"
    assert not list((copy / "data").rglob(".tmp-*")), "no temporary file left"
    listed = set(manifest_files(copy))
    on_disk = {f"{p.parent.name}/{p.name}" for p in (copy / "data").glob("*/*.parquet")}
    assert on_disk == listed, "only finished, listed shards"
    assert "second=0" in result.stdout and "validate=0" in result.stdout, result.stdout + result.stderr


@needs_mount
def test_a_read_only_output_is_refused_on_one_line_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "mnt").mkdir()
    script = """
        mount -t tmpfs -o ro tmpfs "$MNT" || exit 99
        "$PY" -m synthgen render --preset smoke --out "$MNT/ds" --no-progress
    """
    result = _in_private_mount(script, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"synthgen: error: out: cannot create '{tmp_path}/mnt/ds' (Read-only file system)"


def test_an_output_path_that_cannot_be_created_is_refused_on_one_line() -> None:
    """Runs as any user, root included (chmod does not stop root): /proc refuses new folders."""
    result = run_cli("render", "--preset", "smoke", "--out", "/proc/synthgen-test/ds", timeout=60)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "synthgen: error: out: cannot create '/proc/synthgen-test/ds' (No such file or directory)"
    )
