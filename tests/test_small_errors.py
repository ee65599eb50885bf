"""Issue 13 items 6 and 7: each case is one line naming the field and value (exit 2), or the right behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthgen.config import load_config
from synthgen.data import open_dataset
from synthgen.dataset.folder import DatasetWriter
from synthgen.errors import UsageError
from tests.conftest import REPO, run_cli
from tests.fake_dataset import object_rows, write_fake_dataset


def _one_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, (result.returncode, result.stderr)
    return lines[0]


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_dataset(tmp_path_factory.mktemp("objects") / "ds", object_rows(20), rows_per_shard=10)


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "job.yaml"
    config.write_bytes(b"seed: 3\nout: caf\xe9\n")
    line = _one_line(run_cli("render", "--config", str(config), "--out", str(tmp_path / "o"), timeout=60))
    assert "job.yaml" in line and "UTF-8" in line


def test_a_setting_inside_a_list_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"scene\.objects is a list"):
        load_config("tabletop", overrides={"scene.objects.x": 2})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"render.spp": True}, "render.spp: expected a number, got True"),
        ({"seed": False}, "seed: expected a number, got False"),
        ({"augment.preset": "light", "variants": True}, "variants: expected a number, got True"),
    ],
)
def test_booleans_are_not_taken_as_numbers(overrides: dict, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        load_config("smoke", overrides=overrides)


def test_numbers_are_not_taken_as_booleans() -> None:
    with pytest.raises(UsageError, match=r"scene.nir.enabled: expected true or false, got 1"):
        load_config("hands", overrides={"scene.nir.enabled": 1})


def test_spp_true_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    line = _one_line(run_cli("render", "--preset", "smoke", "--out", str(tmp_path / "o"), "--set", "render.spp=true"))
    assert "render.spp" in line and "True" in line
    assert not (tmp_path / "o").exists()


def test_an_empty_out_is_refused_not_the_default_folder(tmp_path: Path) -> None:
    result = run_cli("render", "--preset", "smoke", "--out", "", timeout=60, cwd=tmp_path)
    assert "out" in _one_line(result)
    assert not (tmp_path / "outputs").exists()


def test_inspect_with_a_negative_sample_count_is_one_line(objects: Path) -> None:
    assert "--samples" in _one_line(run_cli("inspect", str(objects), "--samples", "-5", timeout=120))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_inspect_on_a_read_only_dataset_is_one_line(objects: Path, tmp_path: Path) -> None:
    copy = write_fake_dataset(tmp_path / "ro", object_rows(4))
    copy.chmod(0o555)
    try:
        assert "not writable" in _one_line(run_cli("inspect", str(copy), timeout=120))
    finally:
        copy.chmod(0o755)


def test_inspect_on_a_read_only_mount_is_one_line(objects: Path) -> None:
    """As root (CI) permissions do not stop writes, so a read-only mount is simulated through os.access."""
    from synthgen.report import build as report_build

    real_access = os.access
    report_build.os.access = lambda path, mode: False if mode == os.W_OK else real_access(path, mode)
    try:
        with pytest.raises(UsageError, match="not writable"):
            report_build.build_report(objects)
    finally:
        report_build.os.access = real_access


def test_a_refused_resume_names_the_settings_that_differ(tmp_path: Path) -> None:
    out = str(tmp_path / "ds")
    DatasetWriter(load_config("smoke", overrides={"out": out})).open().release()
    with pytest.raises(UsageError, match=r"render\.spp was 4, now 2; seed was 0, now 3"):
        DatasetWriter(load_config("smoke", overrides={"out": out, "seed": 3, "render.spp": 2})).open()


def test_the_validation_split_has_its_hugging_face_name_and_val_as_alias(objects: Path) -> None:
    dataset = open_dataset(objects)
    expected = sum(1 for row in object_rows(20) if row["split"] == "validation")
    assert expected > 0
    assert dataset.filter(split="validation").count_rows() == expected
    assert dataset.filter(split="val").count_rows() == expected
    with pytest.raises(UsageError, match="unknown split 'valid'"):
        dataset.filter(split="valid")


def test_set_epoch_reaches_persistent_dataloader_workers(objects: Path) -> None:
    """Run in a fresh interpreter: DataLoader worker processes forked from this long-lived pytest process (its
    threads and file descriptors from hundreds of tests) are not what a training job forks from."""
    pytest.importorskip("torch")
    script = """
import json, sys
from torch.utils.data import DataLoader
from synthgen.data import open_dataset

def epoch_order(loader, dataset, epoch):
    dataset.set_epoch(epoch)
    return [sid for batch in loader for sid in batch["sample_id"]]

dataset = open_dataset(sys.argv[1]).to_torch(columns=["sample_id"], shuffle=True, seed=1)
fresh = [epoch_order(DataLoader(dataset, batch_size=4, num_workers=1), dataset, e) for e in (0, 1, 2)]
persistent = DataLoader(dataset, batch_size=4, num_workers=1, persistent_workers=True)
print(json.dumps({"fresh": fresh, "persistent": [epoch_order(persistent, dataset, e) for e in (0, 1, 2)]}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(objects)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    orders = json.loads(result.stdout.strip().splitlines()[-1])
    assert len({tuple(order) for order in orders["fresh"]}) > 1  # the orders really change with the epoch
    assert orders["persistent"] == orders["fresh"]
