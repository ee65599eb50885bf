"""The dataset card OUT/README.md: counts, how it was made, how to load it, asset licenses."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthgen.config import load_config
from synthgen.dataset.card import write_dataset_card, write_dataset_card_or_warn
from synthgen.dataset.folder import DatasetWriter, record_written
from synthgen.dataset.storage import DatasetStore
from tests.fake_dataset import hand_rows, object_rows, write_fake_dataset


def test_the_card_says_what_is_inside_and_how_to_load_it(tmp_path: Path) -> None:
    folder = write_fake_dataset(tmp_path / "hands", hand_rows(20, 5, variants=1, attacks=True))
    card = Path(write_dataset_card(folder)).read_text()
    assert card.startswith("---\n") and "  - split: train\n    path:\n    - data/train/shard-00000.parquet" in card
    assert "| split | hand rows (renders) | all rows |" in card
    assert "| train | 24 (12) | 24 |" in card  # identities 0, 1, 2 of 5 are train: 12 renders x 2 rows
    assert "- identities: 5 (train: 3, validation: 1, test: 1); each is in exactly one split" in card
    assert "attack rows: 12 (print: 12)" in card
    assert f'open_dataset("{folder}")' in card and "datasets.load_dataset" in card
    assert "MakeHuman" in card and "CC0" in card
    assert not list(folder.glob(".tmp-*"))


def test_a_tabletop_card_names_no_third_party_assets(tmp_path: Path) -> None:
    folder = write_fake_dataset(tmp_path / "objects", object_rows(5), drop=("attack_type",))
    card = Path(write_dataset_card(folder)).read_text()
    assert "procedural" in card and "MakeHuman" not in card and "identities" not in card


def test_a_card_that_cannot_be_written_is_a_warning_not_a_failed_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert write_dataset_card_or_warn(tmp_path / "missing") is None
    assert "could not write the dataset card" in caplog.text


def test_overwrite_removes_the_card_and_the_report_as_synthgen_files(tmp_path: Path) -> None:
    folder = write_fake_dataset(tmp_path / "old", object_rows(4))
    write_dataset_card(folder)
    (folder / "report").mkdir()
    (folder / "report" / "index.html").write_text("<html></html>")
    record_written(DatasetStore(folder), "report/index.html", b"<html></html>")  # as `inspect` records it
    config = load_config("smoke", overrides={"out": str(folder)})  # a different fingerprint than "fake"
    writer = DatasetWriter(config, overwrite=True).open()
    writer.release()
    assert not (folder / "README.md").exists() and not (folder / "report").exists()
    assert not list((folder / "data").glob("*.parquet"))
