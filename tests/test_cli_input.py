"""Bad input from the command line: one line naming the field or path, exit code 2, nothing written or lost."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest

from synthgen.config import load_config
from synthgen.dataset.folder import LOCK_NAME, MANIFEST_NAME, DatasetWriter
from synthgen.dataset.shard_writer import ShardRecord
from synthgen.errors import UsageError
from tests.conftest import run_cli


def _error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--num-renders", "-2"], "num_renders"),
        (["--spp", "0"], "render.spp"),
        (["--resolution", "8"], "resolution"),
        (["--resolution", "99999x10"], "resolution"),
        (["--workers", "0"], "workers"),
        (["--variants", "3"], "variants"),
        (["--preset", "nope"], "preset: unknown preset 'nope'"),
        (["--augment", "wild"], "augment.preset"),
        (["--num-renders", "ten"], "--num-renders"),
        (["--set", "dataset.image_codec=jpeg"], "dataset.image_codec"),
        (["--set", "scene.objectz=[1, 2]"], "scene.objectz: unknown key"),
        (["--set", "render.spp"], "--set: expected KEY=VALUE"),
        (["--set", "scene.nir.enabled=true"], "scene.nir: unknown key for scene type 'tabletop': near-infrared"),
        (["--preset", "tabletop", "--set", "scene.nir.enabled=true"], "is for hands scenes (presets hands,"),
        (["--preset", "quickstart", "--set", "scene.parts.shelf.share=0"], "scene.parts.shelf.share"),
        (["--preset", "quickstart", "--set", "scene.parts.hands.scene.identities=0"], "parts.hands.scene.identities"),
        (["--preset", "quickstart", "--set", "scene.parts.hands.preset=nope"], "parts.hands.preset: unknown preset"),
    ],
)
def test_bad_flags_fail_fast_with_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    if "--preset" not in args:
        args = ["--preset", "smoke", *args]
    result = run_cli("render", *args, "--out", str(out), timeout=60)
    assert result.returncode == 2
    assert expected in _error_line(result)
    assert not out.exists(), "nothing is written for bad input"


def test_set_overrides_any_setting_last() -> None:
    from synthgen.cli import _setting

    overrides = dict([_setting("dataset.image_codec=png"), _setting("render.spp=3"), _setting("resolution=[32, 48]")])
    config = load_config("smoke", overrides={"render.spp": 9} | overrides)
    assert (config.dataset.image_codec, config.render.spp, config.resolution) == ("png", 3, (32, 48))


def test_the_readme_nir_example_works_on_a_hands_preset() -> None:
    from synthgen.cli import _setting

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "--preset hands --set scene.nir.enabled=true" in readme
    config = load_config("hands", overrides=dict([_setting("scene.nir.enabled=true")]))
    assert config.scene.nir.enabled is True


def test_bad_config_file_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "job.yaml"
    config.write_text("preset: smoke\nscene:\n  objectz: [1, 2]\n")
    result = run_cli("render", "--config", str(config), "--out", str(tmp_path / "o"), timeout=60)
    assert result.returncode == 2 and "scene.objectz: unknown key" in _error_line(result)


def test_a_folder_that_is_not_ours_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"precious")
    for extra in ([], ["--overwrite"]):
        result = run_cli("render", "--preset", "smoke", "--out", str(out), *extra, timeout=60)
        assert result.returncode == 2 and "not a synthgen dataset" in _error_line(result)
    assert sorted(p.name for p in out.iterdir()) == ["holiday.jpg"]


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = run_cli("render", "--preset", "smoke", "--out", str(target), timeout=60)
    assert result.returncode == 2 and "is not a folder" in _error_line(result)


def test_validate_and_inspect_refuse_folders_that_are_not_datasets(tmp_path: Path) -> None:
    for command in ("validate", "inspect"):
        result = run_cli(command, str(tmp_path), timeout=60)
        assert result.returncode == 2 and "not a synthgen dataset" in _error_line(result)


def _writer(tmp_path: Path, **overrides) -> DatasetWriter:
    return DatasetWriter(load_config("smoke", overrides={"out": str(tmp_path / "ds"), **overrides}))


def test_a_different_dataset_needs_overwrite_and_overwrite_keeps_foreign_files(tmp_path: Path) -> None:
    first = _writer(tmp_path).open()
    shard = first.data_dir / "train" / "shard-00000.parquet"
    shard.parent.mkdir()
    shard.write_bytes(b"old shard")
    first.record_shard(
        ShardRecord("train/shard-00000.parquet", 1, 9, "0" * 64, 0, 1)
    )  # listed in the manifest: synthgen's
    first.release()
    (tmp_path / "ds" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="holds a different dataset"):
        _writer(tmp_path, seed=5).open()
    assert shard.exists()
    replaced = DatasetWriter(load_config("smoke", overrides={"out": str(tmp_path / "ds"), "seed": 5}), overwrite=True)
    replaced.open().release()
    assert not shard.exists() and (tmp_path / "ds" / "notes.txt").read_text() == "mine"
    assert json.loads((tmp_path / "ds" / MANIFEST_NAME).read_text())["seed"] == 5


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    first = _writer(tmp_path).open()
    try:
        with pytest.raises(UsageError, match="another synthgen run"):
            _writer(tmp_path).open()
        result = run_cli("render", "--preset", "smoke", "--out", str(tmp_path / "ds"), timeout=60)
        assert result.returncode == 2 and "another synthgen run" in _error_line(result)
    finally:
        first.release()
    with open(tmp_path / "ds" / LOCK_NAME) as handle:  # released: anyone may take it now
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_validate_names_a_dataset_of_another_schema_version(tmp_path: Path) -> None:
    from tests.fake_dataset import hand_rows, write_fake_dataset

    folder = write_fake_dataset(tmp_path / "old", hand_rows(4, identities=2))
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest | {"schema_version": 1}))
    result = run_cli("validate", str(folder), timeout=60)
    assert result.returncode == 1
    assert "schema_version 1, this synthgen reads 3" in result.stdout + result.stderr
