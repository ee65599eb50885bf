"""A mixed job end to end (real Blender): hand and product rows in one dataset, read back by pyarrow, Hugging Face
datasets and synthgen.data, reported by `synthgen inspect` and exported to COCO."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.dataset as pads
from conftest import run_cli
from PIL import Image

from synthgen.data import open_dataset
from synthgen.dataset.schema import column_names
from synthgen.scenes.hands.environment import OCCLUDER_CLASS, OCCLUDER_INSTANCE_ID


def _rows(folder: Path) -> list[dict]:
    table = pads.dataset(folder / "data", format="parquet").to_table()
    return sorted(table.to_pylist(), key=lambda row: row["render_index"])


def test_a_mixed_dataset_holds_every_part_with_the_union_of_columns(mixed_dataset: Path) -> None:
    rows = _rows(mixed_dataset)
    assert [row["render_index"] for row in rows] == list(range(6))
    assert set(rows[0]) == set(column_names())
    parts = {row["scene_part"] for row in rows}
    assert parts == {"palm", "hands", "shelf"}
    for row in rows:
        spec = json.loads(row["spec"])
        assert spec["mix"]["part"] == row["scene_part"]
        if row["scene_part"] == "shelf":
            assert row["kind"] == "product"
            assert row["keypoints_2d"] is None and row["nir"] is None and row["environment"] is None
            assert any(instance["sku_id"] is not None for instance in row["instances"])
        else:
            assert row["kind"] == "hand" and len(row["keypoints_2d"]) == 21
            assert row["environment"] in {"plain", "office", "shop", "kitchen", "outdoor"}
            assert (row["nir"] is not None) == (row["scene_part"] == "palm")  # only the palm part captures NIR


def test_an_occluder_is_labelled_and_hides_what_it_covers(mixed_dataset: Path) -> None:
    """Every hands-part render has an occluder: its own instance in the mask, and no keypoint marked visible
    where the occluder's pixels are."""
    occluded = [row for row in _rows(mixed_dataset) if row["scene_part"] == "hands"]
    assert occluded and all(row["occluder"] in {"box", "cylinder", "bottle"} for row in occluded)
    seen = 0
    for row in occluded:
        mask = np.asarray(Image.open(io.BytesIO(row["mask"]["bytes"])))
        classes = {instance["id"]: instance["class"] for instance in row["instances"]}
        if (mask == OCCLUDER_INSTANCE_ID).any():
            seen += 1
            assert classes[OCCLUDER_INSTANCE_ID] == OCCLUDER_CLASS
        points = np.asarray(row["keypoints_2d"])
        visible = np.asarray(row["keypoints_visible"])
        cols = np.clip(points[:, 0].astype(int), 0, mask.shape[1] - 1)
        rows_ = np.clip(points[:, 1].astype(int), 0, mask.shape[0] - 1)
        assert not (visible & (mask[rows_, cols] == OCCLUDER_INSTANCE_ID)).any()
    assert seen >= 1, "no occluder reached into the frame"


def test_hugging_face_datasets_and_synthgen_data_read_the_mixed_rows(mixed_dataset: Path) -> None:
    import datasets

    files = sorted(str(p) for p in (mixed_dataset / "data").glob("*/*.parquet"))
    ds = datasets.load_dataset("parquet", data_files=files, split="train")
    assert len(ds) == 6
    by_part = {row["scene_part"]: row for row in ds}
    assert isinstance(by_part["palm"]["nir"], Image.Image)
    assert by_part["shelf"]["nir"] is None and by_part["shelf"]["keypoints_2d"] is None
    assert by_part["shelf"]["image"].size == (64, 64)

    view = open_dataset(mixed_dataset).filter(scene_part="palm")
    table = view.to_arrow(columns=["scene_part", "kind", "identity_id"])
    assert set(table.column("scene_part").to_pylist()) == {"palm"} and table.num_rows >= 1


def test_inspect_and_coco_export_cope_with_a_mixed_dataset(mixed_dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dataset"
    shutil.copytree(mixed_dataset, copy)  # inspect writes its report into the dataset
    result = run_cli("inspect", str(copy), timeout=300)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr  # the summary goes to the console (stderr)
    assert "mix parts (rows)" in output and "palm" in output
    page = (copy / "report" / "index.html").read_text()
    assert all(part in page for part in ("palm (", "hands (", "shelf ("))  # a contact sheet per part

    out = tmp_path / "coco"
    result = run_cli("export", str(mixed_dataset), str(out), "--format", "coco", "--no-progress", timeout=300)
    assert result.returncode == 0, result.stderr
    annotations = json.loads(next((out / "annotations").glob("instances_*.json")).read_text())
    names = {category["name"] for category in annotations["categories"]}
    assert {"hand", OCCLUDER_CLASS, "print", "carton"} <= names
