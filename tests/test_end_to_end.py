"""End to end: the command line renders real 64x64 samples with Blender, then they are validated and loaded
with pyarrow and Hugging Face datasets, and every label is checked against the geometry it describes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from synthgen.dataset.image_codec import decode_image
from synthgen.dataset.schema import column_names
from synthgen.scenes.common.camera_math import project_points
from synthgen.scenes.common.pixel_labels import bbox_from_mask
from tests.conftest import run_cli

pytestmark = pytest.mark.blender


def _rows(dataset: Path) -> list[dict]:
    return pads.dataset(str(dataset / "data"), format="parquet").to_table().to_pylist()


def _box_corners(obj: dict) -> np.ndarray:
    width, depth, height = obj["size"]
    local = np.array([[x, y, z] for x in (-width / 2, width / 2) for y in (-depth / 2, depth / 2) for z in (0, height)])
    yaw = math.radians(obj["yaw_deg"])
    rotation = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    return local @ rotation.T + np.array(obj["location"])


def test_render_writes_a_valid_dataset(rendered_dataset: Path) -> None:
    manifest = json.loads((rendered_dataset / "manifest.json").read_text())
    assert manifest["complete"] is True
    # 2 render plans of 2 renders; render 0 falls in test, 1-3 in train: one file per plan and split.
    assert manifest["rows"] == 4 and manifest["num_shards"] == 3
    assert {s["name"]: s["rows"] for s in manifest["shards"]} == {
        "test/shard-00000.parquet": 1,
        "train/shard-00000.parquet": 1,
        "train/shard-00001.parquet": 2,
    }
    result = run_cli("validate", str(rendered_dataset))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rows_carry_the_contract_columns_and_unique_ids(rendered_dataset: Path) -> None:
    table = pads.dataset(str(rendered_dataset / "data"), format="parquet").to_table()
    assert table.schema.names == column_names()
    ids = table.column("sample_id").to_pylist()
    assert len(set(ids)) == len(ids) == 4
    assert table.column("aug_index").to_pylist() == [0, 0, 0, 0]
    assert set(table.column("kind").to_pylist()) == {"object"}
    metadata = pq.ParquetFile(next((rendered_dataset / "data").glob("*/*.parquet"))).metadata
    group = metadata.row_group(0)
    compression = {group.column(i).path_in_schema: group.column(i).compression for i in range(group.num_columns)}
    assert compression["image.bytes"] == "ZSTD" and compression["depth.bytes"] == "ZSTD"
    first = table.slice(0, 1).to_pylist()[0]
    assert first["image"]["bytes"][:2] == b"P6" and first["depth"]["bytes"][:2] == b"P5"  # the default codec, pnm
    assert compression["spec"] == "ZSTD" and compression["camera_K.list.element.list.element"] == "ZSTD"


def test_images_are_real_renders(rendered_dataset: Path) -> None:
    for row in _rows(rendered_dataset):
        image = decode_image(row["image"]["bytes"])
        assert image.shape == (64, 64, 3) and image.dtype == np.uint8
        assert image.std() > 5, "a flat image is not a render of a lit scene"
        mask = decode_image(row["mask"]["bytes"])
        assert set(np.unique(mask)) <= {0} | {o["instance_id"] for o in json.loads(row["spec"])["objects"]}


def test_bbox_and_instances_agree_with_the_mask(rendered_dataset: Path) -> None:
    for row in _rows(rendered_dataset):
        mask = decode_image(row["mask"]["bytes"])
        assert row["bbox"] == bbox_from_mask(mask, 1)
        for instance in row["instances"]:
            assert instance["bbox"] == bbox_from_mask(mask, instance["id"])
            assert instance["pixels"] == int((mask == instance["id"]).sum())


def test_projected_object_boxes_enclose_their_masks(rendered_dataset: Path) -> None:
    """K and camera_pose are right: each object's 3D box, projected, contains every pixel of its mask."""
    for row in _rows(rendered_dataset):
        spec = json.loads(row["spec"])
        mask = decode_image(row["mask"]["bytes"])
        K, pose = np.array(row["camera_K"]), np.array(row["camera_pose"])
        for obj in spec["objects"]:
            box = bbox_from_mask(mask, obj["instance_id"])
            if box is None:
                continue
            uv, depth = project_points(_box_corners(obj), K, pose)
            assert (depth > 0).all()
            tolerance = 1.5  # pixels: anti-aliased edges and the bevel
            assert box[0] >= uv[:, 0].min() - tolerance and box[2] <= uv[:, 0].max() + tolerance
            assert box[1] >= uv[:, 1].min() - tolerance and box[3] <= uv[:, 1].max() + tolerance


def test_depth_is_planar_metric_depth(rendered_dataset: Path) -> None:
    """Unprojecting ground pixels with K, pose and depth lands them on the z = 0 plane."""
    for row in _rows(rendered_dataset):
        mask = decode_image(row["mask"]["bytes"])
        depth = decode_image(row["depth"]["bytes"]).astype(float) * row["depth_scale"]
        assert depth.dtype == float and (depth > 0).mean() > 0.9
        K, pose = np.array(row["camera_K"]), np.array(row["camera_pose"])
        rows_, cols = np.nonzero((mask == 0) & (depth > 0))
        pixels = np.stack([cols + 0.5, rows_ + 0.5, np.ones_like(cols, dtype=float)], axis=1)
        camera_points = (pixels @ np.linalg.inv(K).T) * depth[rows_, cols][:, None]
        world = camera_points @ pose[:3, :3].T + pose[:3, 3]
        assert np.median(np.abs(world[:, 2])) < 0.003
        assert np.percentile(np.abs(world[:, 2]), 95) < 0.01


def test_huggingface_datasets_decodes_the_shards(rendered_dataset: Path) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(
        "parquet", data_files=str(rendered_dataset / "data" / "*" / "*.parquet"), split="train"
    )
    assert len(loaded) == 4
    assert isinstance(loaded.features["image"], datasets.Image)
    first = loaded[0]
    assert first["image"].size == (64, 64) and first["image"].mode == "RGB"
    assert first["mask"].size == (64, 64)
    assert len(first["camera_K"]) == 3 and len(first["camera_K"][0]) == 3
    stored = pq.read_table(sorted((rendered_dataset / "data").glob("*/*.parquet"))[0]).slice(0, 1).to_pylist()[0]
    for column in ("image", "mask", "depth"):  # Pillow's decoding of the stored codec agrees with synthgen's
        np.testing.assert_array_equal(np.asarray(first[column]), decode_image(stored[column]["bytes"]))


def test_rerunning_the_same_command_resumes_without_rendering(rendered_dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "data").mkdir()
    for path in rendered_dataset.rglob("*"):
        if path.is_file():  # (inspect may have added report/ to the shared dataset)
            (copy / path.relative_to(rendered_dataset)).parent.mkdir(parents=True, exist_ok=True)
            (copy / path.relative_to(rendered_dataset)).write_bytes(path.read_bytes())
    before = {p.relative_to(copy): p.read_bytes() for p in (copy / "data").glob("*/*.parquet")}
    result = run_cli("render", "--preset", "smoke", "--out", str(copy), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "2 kept" in result.stderr and "0 written" in result.stderr
    assert {p.relative_to(copy): p.read_bytes() for p in (copy / "data").glob("*/*.parquet")} == before


def test_a_corrupt_shard_is_named_by_validate_and_rerendered_identically(
    rendered_dataset: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    (copy / "data").mkdir(parents=True)
    for path in rendered_dataset.rglob("*"):
        if path.is_file():  # (inspect may have added report/ to the shared dataset)
            (copy / path.relative_to(rendered_dataset)).parent.mkdir(parents=True, exist_ok=True)
            (copy / path.relative_to(rendered_dataset)).write_bytes(path.read_bytes())
    shard = sorted((copy / "data").glob("*/*.parquet"))[1]
    original = shard.read_bytes()
    shard.write_bytes(original[: len(original) // 2])
    result = run_cli("validate", str(copy))
    assert result.returncode == 1 and shard.name in result.stdout + result.stderr
    result = run_cli("render", "--preset", "smoke", "--out", str(copy), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "1 written" in result.stderr and "1 kept" in result.stderr
    assert run_cli("validate", str(copy)).returncode == 0
    # Same seed, same spec, same Cycles seed: the re-rendered shard holds the same samples.
    assert pq.read_table(shard, columns=["sample_id", "spec"]).equals(
        pq.read_table(rendered_dataset / shard.relative_to(copy), columns=["sample_id", "spec"])
    )


def test_inspect_writes_a_contact_sheet(rendered_dataset: Path, tmp_path: Path) -> None:
    result = run_cli("inspect", str(rendered_dataset))
    assert result.returncode == 0, result.stderr
    sheet = rendered_dataset / "contact_sheet.png"
    assert sheet.is_file() and sheet.stat().st_size > 1000
    assert "rows" in result.stdout + result.stderr


def test_augmented_variants_sit_beside_a_byte_identical_clean_render(rendered_dataset: Path, tmp_path: Path) -> None:
    from synthgen.augment import AugmentInput, replay

    out = tmp_path / "augmented"
    result = run_cli("render", "--preset", "smoke", "--variants", "2", "--augment", "medium", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert run_cli("validate", str(out)).returncode == 0
    rows = _rows(out)
    assert len(rows) == 4 * 3
    assert [r["aug_index"] for r in rows[:3]] == [0, 1, 2]
    clean = {r["render_index"]: r for r in _rows(rendered_dataset)}
    for row in rows:
        if row["aug_index"] == 0:
            reference = clean[row["render_index"]]
            for column in ("image", "mask", "depth"):
                assert row[column]["bytes"] == reference[column]["bytes"], column
            assert row["aug_params"] is None and row["aug_seed"] is None
            continue
        mask = decode_image(row["mask"]["bytes"])
        assert row["bbox"] == bbox_from_mask(mask, 1), "boxes are recomputed from the augmented mask"
        params = json.loads(row["aug_params"])
        assert params["seed"] == row["aug_seed"]
        source = clean[row["render_index"]]
        replayed = replay(
            AugmentInput(
                image=decode_image(source["image"]["bytes"]),
                mask=decode_image(source["mask"]["bytes"]),
                depth=decode_image(source["depth"]["bytes"]),
            ),
            params,
        )
        np.testing.assert_array_equal(replayed.image, decode_image(row["image"]["bytes"]))
        np.testing.assert_array_equal(replayed.mask, mask)
