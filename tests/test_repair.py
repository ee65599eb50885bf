"""`synthgen repair`: a lost or truncated manifest rebuilt from the shards themselves (issue 13, item 5)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from synthgen.config import load_config
from synthgen.data import open_dataset
from synthgen.dataset.folder import MANIFEST_NAME, DatasetWriter
from synthgen.dataset.shard_writer import ShardRecord
from synthgen.dataset.validate import validate_dataset
from tests.conftest import run_cli
from tests.fake_dataset import object_rows, write_fake_dataset


def _config(out: Path):
    return load_config("smoke", overrides={"out": str(out), "num_renders": 6, "dataset.renders_per_shard": 2})


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("repair") / "ds"
    write_fake_dataset(out, object_rows(6), rows_per_shard=2, config=_config(out))
    # The manifest a real run writes (fingerprint and config of the job), from the shards just made.
    writer = DatasetWriter(_config(out))
    for entry in json.loads((out / MANIFEST_NAME).read_text())["shards"]:
        writer.shards[entry["name"]] = ShardRecord(
            entry["name"], entry["rows"], entry["bytes"], entry["sha256"], *entry["renders"]
        )
    writer.write_manifest(complete=True)
    assert validate_dataset(out) == []
    return out


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_a_lost_manifest_is_rebuilt_from_the_shards(original: Path, tmp_path: Path, damage: str) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(original, copy)
    manifest = copy / MANIFEST_NAME
    if damage == "deleted":
        manifest.unlink()
    else:
        manifest.write_bytes(manifest.read_bytes()[:200])
    assert run_cli("validate", str(copy), timeout=120).returncode == 2  # before: not a readable dataset
    result = run_cli("repair", str(copy), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 of 3 planned shard(s), complete" in " ".join(result.stderr.split())
    assert validate_dataset(copy) == []
    rebuilt = json.loads(manifest.read_text())
    before = json.loads((original / MANIFEST_NAME).read_text())
    for key in ("fingerprint", "rows", "shards", "config"):
        if key == "config":
            assert rebuilt[key] | {"out": None} == before[key] | {"out": None}
        else:
            assert rebuilt[key] == before[key], key
    assert open_dataset(copy).count_rows() == 6


def test_repair_leaves_out_what_it_cannot_prove_and_a_render_finishes_the_rest(original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(original, copy)
    (copy / MANIFEST_NAME).unlink()
    shard = copy / "data" / "train" / "shard-00001.parquet"
    shard.write_bytes(shard.read_bytes()[:-100])  # truncated: not provably synthgen's
    foreign = write_fake_dataset(tmp_path / "foreign", object_rows(2))  # no provenance metadata
    shutil.copy(foreign / "data" / "train" / "shard-00000.parquet", copy / "data" / "train" / "shard-00002.parquet")
    result = run_cli("repair", str(copy), timeout=120)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stderr.split())
    assert "train/shard-00001.parquet: unreadable" in out
    assert "train/shard-00002.parquet: no synthgen provenance" in out
    assert "1 of 3 planned shard(s), incomplete" in out
    rebuilt = json.loads((copy / MANIFEST_NAME).read_text())
    assert [s["name"] for s in rebuilt["shards"]] == ["train/shard-00000.parquet"] and not rebuilt["complete"]
    assert shard.exists()  # nothing is deleted
    resumed = DatasetWriter(_config(copy)).open()  # the same job resumes: only the missing shards are rendered
    assert sorted(resumed.shards) == ["train/shard-00000.parquet"]
    resumed.release()


def test_repair_refuses_a_folder_of_foreign_parquet(tmp_path: Path) -> None:
    foreign = write_fake_dataset(tmp_path / "foreign", object_rows(2))
    (foreign / MANIFEST_NAME).unlink()
    result = run_cli("repair", str(foreign), timeout=120)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "can be proven synthgen's" in lines[0], result.stderr
    assert not (foreign / MANIFEST_NAME).exists()
