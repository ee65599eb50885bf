"""--overwrite, the manifest and the lock never touch a file synthgen did not write (issue 13, item 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from synthgen.config import load_config
from synthgen.dataset.card import write_dataset_card
from synthgen.dataset.folder import LOCK_NAME, MANIFEST_NAME, DatasetWriter
from synthgen.dataset.shard_writer import ShardRecord
from synthgen.errors import UsageError
from tests.conftest import run_cli
from tests.fake_dataset import object_rows, write_fake_dataset


def _writer(out: Path, overwrite: bool = False, **overrides) -> DatasetWriter:
    return DatasetWriter(load_config("smoke", overrides={"out": str(out), **overrides}), overwrite=overwrite)


def _edit_manifest(folder: Path, **changes) -> None:
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest.update(changes)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))


def test_a_shard_name_that_leaves_the_folder_is_a_corrupt_manifest(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "a" / "ds"
    first = _writer(out).open()
    first.release()
    _edit_manifest(out, shards=[{"name": "../../victim.txt", "rows": 1, "bytes": 7, "sha256": "0", "renders": [0, 1]}])
    for command in (
        ["render", "--preset", "smoke", "--out", str(out), "--seed", "9", "--overwrite"],
        ["validate", str(out)],
        ["inspect", str(out)],
    ):
        result = run_cli(*command, timeout=120)
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        assert len(lines) == 1 and "'../../victim.txt'" in lines[0] and "corrupt" in lines[0], result.stderr
    assert victim.read_text() == "keep me"


def test_overwrite_keeps_foreign_and_edited_files_and_never_follows_links(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    rows = object_rows(4)
    write_fake_dataset(out, rows, rows_per_shard=2)
    write_dataset_card(out)  # synthgen's card: its digest goes into the manifest
    foreign = out / "data" / "train" / "shard-00099.parquet"  # a shard name, but not in the manifest
    foreign.write_bytes(b"someone else's")
    outside = tmp_path / "outside.parquet"
    outside.write_bytes(b"outside")
    listed = out / "data" / "train" / "shard-00001.parquet"
    listed.unlink()
    listed.symlink_to(outside)  # a listed shard replaced by a link: the link's target must survive
    report = out / "report"
    report.mkdir()
    (report / "index.html").write_text("my own notes")  # never recorded as synthgen's
    _writer(out, overwrite=True).open().release()
    assert not (out / "data" / "train" / "shard-00000.parquet").exists()  # listed and synthgen's: removed
    assert not (out / "data" / "validation").exists()  # emptied of synthgen's files: the folder goes too
    assert not (out / "README.md").exists()  # byte-identical to the card synthgen wrote: removed
    assert foreign.read_bytes() == b"someone else's"
    assert outside.read_bytes() == b"outside" and listed.is_symlink()
    assert (report / "index.html").read_text() == "my own notes"


def test_a_hand_edited_card_survives_overwrite_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    write_fake_dataset(out, object_rows(2))
    write_dataset_card(out)
    card = out / "README.md"
    card.write_text(card.read_text() + "\nmy notes\n")
    write_dataset_card(out)  # a finishing run does not replace an edited card
    assert card.read_text().endswith("my notes\n")
    _writer(out, overwrite=True).open().release()
    assert card.read_text().endswith("my notes\n")


def test_a_lock_that_is_a_symbolic_link_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    out.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    (out / LOCK_NAME).symlink_to(target)
    with pytest.raises(UsageError, match="symbolic link"):
        _writer(out).open()
    assert target.read_text() == "precious"
    assert os.path.islink(out / LOCK_NAME)


def test_resume_keeps_the_record_of_written_files(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = _writer(out).open()
    first.written["README.md"] = "ab" * 32
    first.record_shard(ShardRecord("train/shard-00000.parquet", 1, 1, "0" * 64, 0, 1))
    first.release()
    again = _writer(out).open()
    assert again.written == {"README.md": "ab" * 32}
    again.release()
