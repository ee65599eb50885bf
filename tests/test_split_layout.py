"""Schema version 3: each split in its own folder, so `datasets.load_dataset(OUT)` (through the dataset card's
``configs``) sees train, validation and test; a missing shard is an error, never fewer rows (issue 13, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthgen.data import open_dataset
from synthgen.dataset.card import write_dataset_card
from synthgen.dataset.folder import MANIFEST_NAME
from synthgen.dataset.validate import validate_dataset
from tests.conftest import run_cli
from tests.fake_dataset import object_rows, write_fake_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_fake_dataset(tmp_path_factory.mktemp("splits") / "ds", object_rows(20), rows_per_shard=10)
    write_dataset_card(folder)
    return folder


def test_each_split_has_its_own_folder_and_no_file_mixes_splits(dataset: Path) -> None:
    import pyarrow.parquet as pq

    for path in (dataset / "data").glob("*/*.parquet"):
        assert set(pq.read_table(path, columns=["split"]).column("split").to_pylist()) == {path.parent.name}
    assert sorted(p.name for p in (dataset / "data").iterdir()) == ["test", "train", "validation"]


def test_load_dataset_of_the_folder_sees_three_splits(dataset: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(dataset), cache_dir=str(tmp_path / "hf"))
    assert set(loaded) == {"train", "validation", "test"}
    expected = {split: sum(r["split"] == split for r in object_rows(20)) for split in loaded}
    assert {split: loaded[split].num_rows for split in loaded} == expected
    for split in loaded:
        assert set(loaded[split]["split"]) == {split}
    assert open_dataset(dataset).filter(split="val").count_rows() == expected["validation"]


def test_a_missing_shard_does_not_load_silently(dataset: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    (copy / "data" / "train" / "shard-00001.parquet").unlink()
    with pytest.raises(FileNotFoundError):
        datasets.load_dataset(str(copy), cache_dir=str(tmp_path / "hf"))
    assert any("train/shard-00001.parquet: missing" in p for p in validate_dataset(copy))


def test_validate_names_a_dataset_of_the_previous_schema_version_in_one_line(dataset: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(dataset, copy)
    manifest = json.loads((copy / MANIFEST_NAME).read_text())
    (copy / MANIFEST_NAME).write_text(json.dumps(manifest | {"schema_version": 2, "shards": []}))
    result = run_cli("validate", str(copy), timeout=120)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1 and "schema_version 2, this synthgen reads 3" in lines[0]
