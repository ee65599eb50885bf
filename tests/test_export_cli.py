"""``synthgen export`` from the command line: an end-to-end export, and bad input refused in one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pycocotools.coco import COCO

from tests.conftest import run_cli


@pytest.mark.blender
def test_export_coco_from_the_command_line(export_products_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "coco"
    result = run_cli("export", str(export_products_dataset), "--format", "coco", "--split", "test", str(out))
    assert result.returncode == 0, result.stderr
    assert "done" in result.stderr and "coco export" in result.stderr
    record = json.loads((out / "export.json").read_text())
    assert record["complete"] and record["export_format"] == "coco" and record["split"] == "test"
    assert [p.name for p in (out / "annotations").iterdir()] == ["instances_test.json"]
    coco = COCO(str(out / "annotations" / "instances_test.json"))
    assert len(coco.imgs) == record["rows"]["test"] > 0
    assert all((out / "images" / "test" / image["file_name"]).is_file() for image in coco.imgs.values())
    # A second run into the same folder is refused; --overwrite replaces the earlier export.
    again = run_cli("export", str(export_products_dataset), "--format", "yolo", str(out), "--no-progress")
    assert again.returncode == 2 and "--overwrite" in again.stderr
    replaced = run_cli(
        "export", str(export_products_dataset), "--format", "yolo", str(out), "--overwrite", "--no-progress"
    )
    assert replaced.returncode == 0, replaced.stderr
    assert not (out / "annotations").exists() and (out / "data.yaml").is_file()


@pytest.mark.blender
@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--format", "coco", "{tmp}/not-a-dataset", "{tmp}/out"], "dataset"),
        (["--format", "coco", "{products}", "{products}/inside"], "out"),
        (["--format", "coco", "{products}", "{tmp}/full"], "out"),
        (["--format", "coco", "--overwrite", "{products}", "{parent}"], "out"),  # the folder holding the dataset
        (["--format", "coco", "--split", "val", "{products}", "{tmp}/out"], "split"),
        (["--format", "coco", "--split", "dev", "{products}", "{tmp}/out"], "--split"),
        (["--format", "pascal", "{products}", "{tmp}/out"], "--format"),
        (["--format", "coco", "--task", "pose", "{products}", "{tmp}/out"], "task"),
        (["--format", "yolo", "--task", "pose", "{products}", "{tmp}/out"], "task"),
        (["--format", "bop", "{hands}", "{tmp}/out"], "format"),
        (["--format", "bop", "--image-format", "jpg", "{products}", "{tmp}/out"], "image_format"),
        (["--format", "coco", "--image-format", "tiff", "{products}", "{tmp}/out"], "--image-format"),
        (["--format", "coco", "{products}", "s3://bucket/out"], "out"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_exit_2(
    args: list[str],
    names: str,
    export_products_dataset: Path,
    export_hands_dataset: Path,
    tmp_path: Path,
) -> None:
    (tmp_path / "not-a-dataset").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("a user's file")
    places = {"tmp": tmp_path, "products": export_products_dataset, "hands": export_hands_dataset}
    filled = [a.format(parent=export_products_dataset.parent, **places) for a in args]
    before = sorted(p.name for p in export_products_dataset.rglob("*"))
    result = run_cli("export", *filled, "--no-progress")
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and names in lines[0], lines[0]
    assert not (tmp_path / "out").exists(), "nothing is written before the input is checked"
    assert (tmp_path / "full" / "keep.txt").read_text() == "a user's file"
    assert sorted(p.name for p in export_products_dataset.rglob("*")) == before


@pytest.mark.blender
def test_a_full_disk_is_one_line_and_the_export_stays_marked_incomplete(
    export_products_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from synthgen.errors import StorageError
    from synthgen.export import coco, export_dataset

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(coco, "write_bytes", full)
    with pytest.raises(StorageError, match=r"out: cannot write .*\(No space left on device\)"):
        export_dataset(export_products_dataset, "coco", tmp_path / "coco")
    assert json.loads((tmp_path / "coco" / "export.json").read_text())["complete"] is False
