"""``python -m flows``: output folders it would refuse fail on one line (exit 2) before Prefect starts, and Prefect's
temporary server gets time to start on a busy machine, or fails on one line naming the setting (issue 13, item 6)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.prefect_api import STARTUP_TIMEOUT_S, TIMEOUT_SETTING
from flows.preflight import check_output
from synthgen.config import load_config
from synthgen.dataset.folder import DatasetWriter
from synthgen.errors import UsageError
from tests.conftest import REPO
from tests.live_services import clean_env

PREFIX = "python -m flows: error: "


def _flows(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _assert_one_line_before_prefect(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(PREFIX + expected) and done.stderr.count("\n") == 1, done.stderr
    assert "temporary server" not in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def dataset_copy(rendered_dataset: Path, tmp_path: Path) -> Path:
    """A private copy of the session's rendered smoke dataset (complete, 2 shards)."""
    return Path(shutil.copytree(rendered_dataset, tmp_path / "smoke"))


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".synthgen.lock"
    }


def test_folder_errors_are_one_line_before_prefect_starts(tmp_path: Path, dataset_copy: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for out, expected in (
        (foreign, f"out: '{foreign}' is not empty and is not a synthgen dataset (found notes.txt)"),
        (a_file, f"out: '{a_file}' exists and is not a folder"),
        (a_file / "ds", f"out: '{a_file / 'ds'}' cannot be created ({a_file} is not a folder)"),
    ):
        _assert_one_line_before_prefect(_flows("--preset", "smoke", "--out", str(out)), expected)
    assert (foreign / "notes.txt").read_text() == "mine" and sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]

    before = _snapshot(dataset_copy)
    done = _flows("--preset", "smoke", "--seed", "5", "--out", str(dataset_copy))
    _assert_one_line_before_prefect(done, f"out: '{dataset_copy}' holds a different dataset")
    assert _snapshot(dataset_copy) == before


def test_a_locked_folder_is_one_line_before_prefect_starts(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    holder = DatasetWriter(load_config("smoke", overrides={"out": str(out)})).open()
    try:
        done = _flows("--preset", "smoke", "--out", str(out))
    finally:
        holder.release()
    _assert_one_line_before_prefect(done, "out: another synthgen run (pid ")


def test_the_check_changes_nothing_in_a_dataset(dataset_copy: Path, tmp_path: Path) -> None:
    """A resume is checked without hashing or rewriting anything; --overwrite of another dataset deletes nothing
    until the flow itself runs; a new output is not created (the flow refuses a folder holding only data/)."""
    new = tmp_path / "new" / "ds"
    check_output(load_config("smoke", overrides={"out": str(new)}), overwrite=False)
    assert not new.parent.exists()
    before = _snapshot(dataset_copy)
    check_output(load_config("smoke", overrides={"out": str(dataset_copy)}), overwrite=False)
    check_output(load_config("smoke", overrides={"out": str(dataset_copy), "seed": 5}), overwrite=True)
    assert _snapshot(dataset_copy) == before
    with pytest.raises(UsageError, match="holds a different dataset"):
        check_output(load_config("smoke", overrides={"out": str(dataset_copy), "seed": 5}), overwrite=False)


def test_the_temporary_server_gets_a_longer_start_up_unless_the_user_set_one() -> None:
    script = (
        "from flows.prefect_api import patient_temporary_server\n"
        "from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as S\n"
        "with patient_temporary_server() as t:\n"
        "    print(t, S.value())\n"
        "print(S.value())\n"
    )
    for env, expected in (
        (clean_env(), f"{STARTUP_TIMEOUT_S} {STARTUP_TIMEOUT_S}\n20\n"),  # Prefect's default is 20 s
        (clean_env(**{TIMEOUT_SETTING: "45"}), "45 45\n45\n"),
    ):
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout == expected, done.stdout + done.stderr


def test_a_temporary_server_that_does_not_start_is_one_line(tmp_path: Path) -> None:
    """A start-up limit of 1 s (a fresh PREFECT_HOME: the database is migrated first, which takes longer)."""
    env = clean_env(PREFECT_HOME=str(tmp_path / "prefect-home"), **{TIMEOUT_SETTING: "1"})
    out = tmp_path / "ds"
    done = _flows("--preset", "smoke", "--out", str(out), env=env, timeout=180)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith(PREFIX)]
    assert errors == [
        f"{PREFIX}Prefect's temporary server did not start within 1s: raise {TIMEOUT_SETTING} (now 1), "
        "or run `prefect server start` and set PREFECT_API_URL"
    ], done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "manifest.json").exists() and not list(out.glob("data/*"))  # checked, nothing written
