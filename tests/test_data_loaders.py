"""synthgen.data: open_dataset, filters, Arrow / Hugging Face / PyTorch loaders (on small fake datasets)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from synthgen.data import open_dataset
from synthgen.errors import UsageError
from tests.fake_dataset import hand_rows, object_rows, write_fake_dataset


@pytest.fixture(scope="module")
def hands(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 hand renders of 6 identities (every 3rd render an attack), 1 variant each: 48 rows in 6 shards."""
    return write_fake_dataset(tmp_path_factory.mktemp("hands"), hand_rows(24, 6, variants=1, attacks=True))


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 tabletop renders with no spoof column at all."""
    return write_fake_dataset(tmp_path_factory.mktemp("objects"), object_rows(10), drop=("attack_type",))


def test_a_folder_that_is_not_a_dataset_is_a_one_line_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError) as error:
        open_dataset(tmp_path)
    assert "not a synthgen dataset" in str(error.value) and "\n" not in str(error.value)
    assert error.value.exit_code == 2
    with pytest.raises(UsageError, match="not a folder"):
        open_dataset(tmp_path / "missing")


def test_to_arrow_reads_the_requested_columns_of_every_row(hands: Path) -> None:
    dataset = open_dataset(hands)
    table = dataset.to_arrow(columns=["sample_id", "identity_id"])
    assert table.column_names == ["sample_id", "identity_id"] and table.num_rows == 48 == dataset.count_rows()
    with pytest.raises(UsageError, match="'nope'"):
        dataset.to_arrow(columns=["sample_id", "nope"])


def test_filters_are_views_and_combine(hands: Path) -> None:
    dataset = open_dataset(hands)
    rows = dataset.to_arrow(columns=["split", "is_live", "attack_type", "identity_id"]).to_pylist()
    train = dataset.filter(split="train")
    assert train.count_rows() == sum(r["split"] == "train" for r in rows)
    assert dataset.count_rows() == 48, "filtering returns a new view and leaves the original alone"
    spoofs = train.filter(is_live=False)
    expected = [r for r in rows if r["split"] == "train" and not r["is_live"]]
    assert spoofs.count_rows() == len(expected) > 0
    assert set(spoofs.to_arrow(columns=["attack_type"]).column(0).to_pylist()) == {"print"}
    assert dataset.filter(attack_type="print").count_rows() == sum(r["attack_type"] == "print" for r in rows)
    assert dataset.filter(split=["val", "test"]).count_rows() == sum(r["split"] in ("validation", "test") for r in rows)
    ids = dataset.filter(identity_range=(2, 4)).to_arrow(columns=["identity_id"]).column(0).to_pylist()
    assert sorted(set(ids)) == [2, 3] and len(ids) == sum(2 <= r["identity_id"] < 4 for r in rows)
    assert dataset.filter(kind="object").count_rows() == 0


def test_a_filter_on_a_column_the_dataset_lacks_names_it(objects: Path) -> None:
    dataset = open_dataset(objects)
    with pytest.raises(UsageError, match="no 'attack_type' column") as error:
        dataset.filter(attack_type="print")
    assert "spoof" in str(error.value)
    with pytest.raises(UsageError, match="identity_range: low 5 is greater than high 1"):
        open_dataset(objects).filter(identity_range=(5, 1))


def test_a_dataset_opens_from_a_url(hands: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    assert (
        open_dataset(hands.as_uri()).filter(split="train").count_rows()
        == open_dataset(hands).filter(split="train").count_rows()
    )
    memory = fsspec.filesystem("memory")
    for path in hands.rglob("*"):
        if path.is_file():
            memory.pipe(f"/synthgen-test/{path.relative_to(hands)}", path.read_bytes())
    remote = open_dataset("memory://synthgen-test")
    assert remote.count_rows() == 48
    assert (
        remote.to_arrow(columns=["sample_id"]).column(0).to_pylist()
        == open_dataset(hands).to_arrow(columns=["sample_id"]).column(0).to_pylist()
    )
    with pytest.raises(UsageError, match="not a synthgen dataset"):
        open_dataset("memory://nothing-here")


def test_to_hf_keeps_the_image_features(hands: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = (
        open_dataset(hands).filter(split="train").to_hf(columns=["sample_id", "image", "nir"], cache_dir=str(tmp_path))
    )
    assert len(loaded) == open_dataset(hands).filter(split="train").count_rows()
    assert isinstance(loaded.features["image"], datasets.Image) and isinstance(loaded.features["nir"], datasets.Image)
    assert loaded[0]["image"].size == (32, 32) and loaded[0]["image"].mode == "RGB"


def test_to_torch_decodes_only_the_requested_columns(hands: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    import synthgen.data.decode as decode_module

    decoded: list[tuple[int, ...]] = []
    real = decode_module.decode_image

    def counting(data: bytes) -> np.ndarray:
        array = real(data)
        decoded.append(array.shape)
        return array

    monkeypatch.setattr(decode_module, "decode_image", counting)
    samples = list(open_dataset(hands).to_torch(columns=["sample_id", "mask", "keypoints_2d"]))
    assert len(samples) == 48 and set(samples[0]) == {"sample_id", "mask", "keypoints_2d"}
    assert decoded == [(32, 32)] * 48, "only the mask of each row is decoded"
    assert samples[0]["mask"].dtype == np.uint8 and samples[0]["keypoints_2d"].shape == (21, 2)
    sample = next(iter(open_dataset(hands).to_torch(columns=["image", "depth", "bbox"], as_tensors=True)))
    assert sample["image"].dtype == torch.uint8 and tuple(sample["image"].shape) == (32, 32, 3)
    assert sample["depth"].dtype == torch.uint16 and sample["bbox"].shape == (4,)
    raw = next(iter(open_dataset(hands).to_torch(columns=["image"], decode=False)))
    assert raw["image"][:4] == b"\x89PNG"
    shapes = next(iter(open_dataset(hands).to_torch(columns=["image"], transform=lambda s: s["image"].shape)))
    assert shapes == (32, 32, 3)


def _ids_seen(dataset_path: Path, workers: int, **kwargs: object) -> list[str]:
    from torch.utils.data import DataLoader

    data = open_dataset(dataset_path).to_torch(columns=["sample_id"], **kwargs)
    loader = DataLoader(data, batch_size=None, num_workers=workers)
    return [sample["sample_id"] for sample in loader]


def test_each_row_is_read_exactly_once_across_ranks_and_dataloader_workers(
    hands: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    everything = sorted(open_dataset(hands).to_arrow(columns=["sample_id"]).column(0).to_pylist())
    seen = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank in (0, 1):  # a fake world of 2 ranks, each with 2 DataLoader worker processes
        monkeypatch.setenv("RANK", str(rank))
        ids = _ids_seen(hands, workers=2)
        assert ids, f"rank {rank} got nothing"
        seen += ids
    assert sorted(seen) == everything
    # Shuffled, with explicit ranks: a new order per epoch, still every row once.
    shuffled = [_ids_seen(hands, 0, rank=r, world_size=2, shuffle=True, seed=3) for r in (0, 1)]
    assert sorted(shuffled[0] + shuffled[1]) == everything


def test_a_filtered_view_streams_only_matching_rows(hands: Path) -> None:
    pytest.importorskip("torch")
    view = open_dataset(hands).filter(split="val", is_live=True)
    expected = sorted(view.to_arrow(columns=["sample_id"]).column(0).to_pylist())
    assert sorted(s["sample_id"] for s in view.to_torch(columns=["sample_id"])) == expected


def test_to_torch_without_torch_says_how_to_install_it(hands: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "synthgen.data.torch_dataset", raising=False)
    with pytest.raises(UsageError, match=r"pip install 'synthgen\[torch\]'"):
        open_dataset(hands).to_torch()


def test_shards_a_run_is_still_writing_are_not_read(hands: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(hands, copy)
    (copy / "data" / ".tmp-shard-00099.parquet.123").write_bytes(b"partial")
    (copy / "data" / "train" / "shard-00099.parquet").write_bytes(
        (copy / "data" / "train" / "shard-00000.parquet").read_bytes()
    )
    assert open_dataset(copy).count_rows() == 48, "only the shards the manifest lists are read"
