"""WebDataset export read back by the webdataset library: every row is one sample, seen exactly once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import webdataset as wds

from synthgen.data import open_dataset
from synthgen.export import export_dataset
from synthgen.export import webdataset_shards as shards_module


def _read(out: Path, split: str) -> list[dict]:
    index = json.loads((out / "webdataset.json").read_text())[split]
    urls = str(out / index["pattern"])
    dataset = wds.WebDataset(urls, shardshuffle=False, empty_check=True).decode("rgb8")
    samples = list(dataset)
    assert len(samples) == index["samples"]
    return samples


@pytest.mark.blender
@pytest.mark.parametrize("which", ["export_products_dataset", "export_hands_dataset"])
def test_every_row_is_one_sample_with_exact_images_and_labels(
    which: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = request.getfixturevalue(which)
    monkeypatch.setattr(shards_module, "SAMPLES_PER_SHARD", 2)  # several shards per split, read by a brace pattern
    out = tmp_path / "wds"
    export_dataset(dataset, "webdataset", out)
    assert not list(out.rglob(".*")), "temporary shards were left behind"
    rows = {row["sample_id"]: row for row in open_dataset(dataset).reader().iter_rows()}
    keys: Counter[str] = Counter()
    for split in json.loads((out / "webdataset.json").read_text()):
        for sample in _read(out, split):
            keys[sample["__key__"]] += 1
            row = rows[sample["__key__"]]
            assert row["split"] == split
            assert sample["png"].dtype == np.uint8 and np.array_equal(sample["png"], row["image"])
            assert sample["mask.npy"].dtype == np.uint8 and np.array_equal(sample["mask.npy"], row["mask"])
            assert sample["depth.npy"].dtype == np.uint16 and np.array_equal(sample["depth.npy"], row["depth"])
            for name in ("nir", "defect_mask"):
                assert (f"{name}.npy" in sample) == (row.get(name) is not None)
                if row.get(name) is not None:
                    assert np.array_equal(sample[f"{name}.npy"], row[name])
            labels = sample["json"]
            assert labels["instances"] == row["instances"]
            assert labels["spec"] == json.loads(row["spec"])
            np.testing.assert_array_equal(labels["camera_K"], row["camera_K"])
            if row.get("keypoints_2d") is not None:
                np.testing.assert_array_equal(labels["keypoints_2d"], row["keypoints_2d"])
    assert set(keys) == set(rows) and set(keys.values()) == {1}, "each row exactly once"
    index = json.loads((out / "webdataset.json").read_text())
    assert any(len(entry["shards"]) > 1 for entry in index.values())
