"""A flipped bit in a shard never reaches training as wrong pixels (issue 13, item 3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from synthgen.data import open_dataset
from synthgen.dataset.integrity import CorruptShard
from synthgen.errors import DatasetInvalid, UsageError
from tests.conftest import run_cli
from tests.fake_dataset import object_rows, write_fake_dataset

IMAGES = ["image", "mask", "depth"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_dataset(tmp_path_factory.mktemp("clean") / "ds", object_rows(4), rows_per_shard=4)


def _flipped(clean: Path, scratch: Path, position: int) -> Path:
    copy = scratch / f"flip-{position}"
    shutil.copytree(clean, copy)
    shard = copy / "data" / "train" / "shard-00000.parquet"
    data = bytearray(shard.read_bytes())
    data[position] ^= 0x10
    shard.write_bytes(bytes(data))
    return copy


def _positions(size: int, count: int = 24) -> list[int]:
    return sorted({int(i * (size - 1) / (count - 1)) for i in range(count)})


def test_shards_carry_page_checksums(clean: Path) -> None:
    metadata = pq.ParquetFile(clean / "data" / "train" / "shard-00000.parquet").metadata
    assert metadata.num_row_groups >= 1  # written with write_page_checksum=True (tests/fake_dataset.py, shard_writer)


def test_a_flipped_bit_is_an_error_never_wrong_pixels(clean: Path, tmp_path: Path) -> None:
    shard = clean / "data" / "train" / "shard-00000.parquet"
    expected = pq.read_table(shard, columns=IMAGES).to_pylist()
    whole = open_dataset(clean).to_arrow(columns=IMAGES).to_pylist()
    size = shard.stat().st_size
    silently_wrong_pyarrow = []
    for position in _positions(size):
        copy = _flipped(clean, tmp_path, position)
        with pytest.raises(CorruptShard, match=r"shard data/train/shard-00000\.parquet .* corrupt .*synthgen render"):
            open_dataset(copy)  # the default: the sha256 is checked before the shard is first read
        # Without the hash (verify="size"), page checksums still stop a flip in the pixels.
        try:
            got = open_dataset(copy, verify="size").to_arrow(columns=IMAGES).to_pylist()
        except (DatasetInvalid, OSError, ValueError):
            got = None
        assert got is None or got == whole, f"bit flipped at byte {position} of {size} read back as wrong pixels"
        try:
            raw = pq.read_table(
                copy / "data" / "train" / "shard-00000.parquet", columns=IMAGES, page_checksum_verification=True
            )
            if raw.to_pylist() != expected:
                silently_wrong_pyarrow.append(position)
        except (OSError, ValueError):
            pass
        shutil.rmtree(copy)
    assert not silently_wrong_pyarrow, silently_wrong_pyarrow


def test_to_hf_refuses_a_corrupt_shard(clean: Path, tmp_path: Path) -> None:
    copy = _flipped(clean, tmp_path, (clean / "data" / "train" / "shard-00000.parquet").stat().st_size // 2)
    with pytest.raises(CorruptShard):
        open_dataset(copy).to_hf(cache_dir=str(tmp_path / "hf"))


def test_to_hf_verifies_page_checksums_when_the_hash_is_skipped(clean: Path, tmp_path: Path) -> None:
    shard = clean / "data" / "train" / "shard-00000.parquet"
    expected = open_dataset(clean).to_arrow(columns=["image"]).column("image").to_pylist()
    for position in _positions(shard.stat().st_size, count=24):
        copy = _flipped(clean, tmp_path, position)
        try:
            hf = open_dataset(copy, verify="size").to_hf(columns=["image"], cache_dir=str(tmp_path / f"hf-{position}"))
            got = hf.cast_column("image", datasets.Image(decode=False))["image"]
        except Exception:  # datasets wraps reader errors in its own exceptions
            got = None
        assert got is None or got == expected, f"bit flipped at byte {position} reached datasets as wrong pixels"


def test_validate_and_inspect_name_the_corrupt_shard_in_one_line(clean: Path, tmp_path: Path) -> None:
    copy = _flipped(clean, tmp_path, (clean / "data" / "train" / "shard-00000.parquet").stat().st_size // 3)
    validate = run_cli("validate", str(copy), timeout=120)
    assert validate.returncode == 1 and "shard-00000.parquet" in validate.stderr
    inspect = run_cli("inspect", str(copy), timeout=120)
    lines = [line for line in inspect.stderr.splitlines() if line.strip()]
    assert inspect.returncode == 1 and len(lines) == 1 and "synthgen render" in lines[0], inspect.stderr


def test_verify_takes_only_known_modes(clean: Path) -> None:
    with pytest.raises(UsageError, match="verify"):
        open_dataset(clean, verify="none")  # type: ignore[arg-type]
