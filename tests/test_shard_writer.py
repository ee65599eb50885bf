"""The shard writer: round trip, Hugging Face metadata, row groups, and atomic replacement."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from synthgen.dataset.image_codec import decode_image, encode_image
from synthgen.dataset.schema import column_names, dataset_schema
from synthgen.dataset.shard_writer import TEMP_PREFIX, file_sha256, write_shard
from synthgen.scenes.common.camera_columns import CAMERA_MODEL_COLUMNS


def _row(index: int) -> dict:
    rng = np.random.default_rng(index)
    image = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
    mask = np.zeros((8, 8), np.uint8)
    mask[2:5, 2:6] = 1
    depth = np.full((8, 8), 1500, np.uint16)
    # Every column a kind or option adds is null here; the values below are the ones the test round-trips.
    return dict.fromkeys(column_names()) | {
        "sample_id": f"s0-r{index:08d}-a000", "render_id": f"s0-r{index:08d}", "render_index": index,
        "aug_index": 0, "split": "train", "kind": "object", "is_live": True, "attack_type": None, "attack_params": None,
        "width": 8, "height": 8,
        "image": {"bytes": encode_image(image), "path": None}, "mask": {"bytes": encode_image(mask), "path": None},
        "depth": {"bytes": encode_image(depth), "path": None}, "depth_scale": 0.001,
        "bbox": [2.0, 2.0, 6.0, 5.0] if index % 2 == 0 else None,
        "instances": [{"id": 1, "class": "box", "bbox": [2.0, 2.0, 6.0, 5.0], "pixels": 12, "sku_id": None,
                       "visible_fraction": None, "object_pose": None, "box3d": None}],
        "camera_K": np.eye(3).tolist(), "camera_pose": np.eye(4).tolist(), "normals": None, "part_mask": None,
        "palm_crease_map": None, "palm_vein_map": None,
        "identity_id": None, "handedness": None, "pose_family": None, "keypoints_2d": None, "keypoints_3d": None,
        "keypoints_visible": None, "palm_roi": None, "nir": None,
        "product_class": None, "sku_id": None, "defects": None, "defect_mask": None,
        **{column.name: None for column in CAMERA_MODEL_COLUMNS},
        "aug_seed": None, "aug_params": None, "spec": json.dumps({"render_index": index}),
    }  # fmt: skip


def test_round_trip_keeps_every_value(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(5)]
    path = tmp_path / "shard-00000.parquet"
    record = write_shard(rows, path, row_group_rows=2, render_range=(0, 5))
    table = pq.read_table(path)
    assert table.schema.names == column_names()
    read_back = table.to_pylist()
    for got, want in zip(read_back, rows, strict=True):
        assert got.pop("depth_scale") == pytest.approx(want["depth_scale"])  # stored as float32
        assert got == {k: v for k, v in want.items() if k != "depth_scale"}
    assert (record.rows, record.bytes, record.sha256) == (5, path.stat().st_size, file_sha256(path))
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    np.testing.assert_array_equal(decode_image(table.column("depth")[0].as_py()["bytes"]), np.full((8, 8), 1500))


def test_schema_carries_huggingface_features() -> None:
    features = json.loads(dataset_schema().metadata[b"huggingface"])["info"]["features"]
    assert features["image"] == {"_type": "Image"}
    assert features["camera_K"]["length"] == 3 and features["camera_K"]["feature"]["length"] == 3
    assert set(features) == set(column_names())


def test_a_failed_write_leaves_the_old_shard_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "shard-00000.parquet"
    write_shard([_row(0)], path, 100, (0, 1))
    before = path.read_bytes()
    broken = _row(1) | {"camera_K": "not a matrix"}
    with pytest.raises(Exception):  # noqa: B017 (pyarrow raises one of several conversion errors)
        write_shard([_row(1), broken], path, 100, (0, 2))
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_writing_goes_through_a_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The final name appears only by rename, after the writer closed the file."""
    import synthgen.dataset.storage as storage

    seen: list[tuple[str, str, bool]] = []
    real_replace = storage.os.replace

    def spy(src: str, dst: str) -> None:
        seen.append((Path(src).name, Path(dst).name, Path(dst).exists()))
        pq.ParquetFile(src)  # the temporary file is already complete and readable
        real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", spy)
    write_shard([_row(0)], tmp_path / "shard-00001.parquet", 100, (0, 1))
    assert seen and seen[0][0].startswith(TEMP_PREFIX) and seen[0][1] == "shard-00001.parquet"
    assert seen[0][2] is False
