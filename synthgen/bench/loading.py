"""Loading speed: decoded samples per second from the Parquet shards versus the same samples stored the common
way, as loose files (three PNGs and a JSON of labels per sample), with the page cache warm and cold.

"Cold" evicts just the files being read from the page cache (``posix_fadvise(DONTNEED)``), so it needs no
root and leaves the rest of the machine alone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthgen.data import open_dataset
from synthgen.data.decode import array_columns
from synthgen.data.reader import ShardReader
from synthgen.dataset.folder import DATA_DIR_NAME, FORMAT_NAME, MANIFEST_NAME, shard_name, write_json_atomic
from synthgen.dataset.image_codec import decode_image, encode_image
from synthgen.dataset.schema import SCHEMA_VERSION
from synthgen.dataset.shard_writer import write_shard
from synthgen.dataset.storage import DatasetStore

IMAGES = ("image", "mask", "depth")
LABELS = ("sample_id", "bbox", "instances", "camera_K", "camera_pose", "spec")
MIN_SECONDS = 1.0
ROWS_PER_SHARD = 256
ROW_GROUP_ROWS = 100


def replicate_dataset(source: Path, out: Path, rows: int) -> Path:
    """A dataset of ``rows`` rows made by repeating ``source``'s rows (with new sample ids), written the way the
    pipeline writes shards, so loading is measured on many samples without rendering them all."""
    table = open_dataset(source).to_arrow()
    copies = []
    for copy in range(-(-rows // table.num_rows)):
        ids = pc.binary_join_element_wise(table.column("sample_id"), pa.scalar(f"c{copy:04d}"), "-")
        copies.append(table.set_column(table.schema.get_field_index("sample_id"), "sample_id", ids))
    everything = pa.concat_tables(copies).slice(0, rows).to_pylist()
    (out / DATA_DIR_NAME).mkdir(parents=True, exist_ok=True)
    records = []
    for index, start in enumerate(range(0, rows, ROWS_PER_SHARD)):
        part = everything[start : start + ROWS_PER_SHARD]
        store = DatasetStore(out)
        relative = f"{DATA_DIR_NAME}/{shard_name(index, 'train')}"
        records.append(write_shard(part, relative, ROW_GROUP_ROWS, (start, start + len(part)), store=store).to_json())
    manifest = {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "complete": True,
        "rows": rows,
        "num_shards": len(records),
        "shards": records,
    }
    write_json_atomic(out / MANIFEST_NAME, manifest)
    return out


def export_loose(dataset_dir: Path, out: Path) -> list[Path]:
    """Writes every row as ``ID.image.png``, ``ID.mask.png``, ``ID.depth.png`` and ``ID.json``; returns the JSONs."""
    out.mkdir(parents=True, exist_ok=True)
    table = open_dataset(dataset_dir).to_arrow(columns=[*LABELS, *IMAGES])
    paths = []
    for row in table.to_pylist():
        stem = out / row["sample_id"]
        for name in IMAGES:  # loose files are PNGs whatever codec the shards use
            Path(f"{stem}.{name}.png").write_bytes(encode_image(decode_image(row[name]["bytes"]), "png"))
        label_path = Path(f"{stem}.json")
        label_path.write_text(json.dumps({k: row[k] for k in LABELS}))
        paths.append(label_path)
    return paths


def _evict(paths: Iterable[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def read_loose(label_paths: list[Path], arrays: dict[str, np.dtype], decode: bool = True) -> int:
    """Reads every sample's JSON and PNGs; with ``decode``, PNGs to arrays and numeric labels to arrays."""
    count = 0
    for label_path in label_paths:
        sample: dict[str, Any] = json.loads(label_path.read_text())
        stem = str(label_path)[: -len(".json")]
        for name in IMAGES:
            data = Path(f"{stem}.{name}.png").read_bytes()
            sample[name] = decode_image(data) if decode else data
        for name, dtype in arrays.items() if decode else ():
            if sample.get(name) is not None:
                sample[name] = np.asarray(sample[name], dtype=dtype)
        count += 1
    return count


def read_shards(reader: ShardReader) -> int:
    return sum(1 for _ in reader.iter_rows())


def _rate(read: Callable[[], int], evict: Callable[[], None] | None) -> float:
    """Samples per second over whole passes (at least MIN_SECONDS of them), after one warm-up pass."""
    read()
    samples, elapsed = 0, 0.0
    while elapsed < MIN_SECONDS:
        if evict is not None:
            evict()
        started = time.perf_counter()
        samples += read()
        elapsed += time.perf_counter() - started
    return samples / elapsed


def bench_loading(rendered: Path, scratch: Path, rows: int) -> dict[str, Any]:
    """``rows`` samples (the rendered rows, repeated) read as shards and as loose files: decoded with a warm and
    a cold page cache, and raw (PNG bytes and labels, no decoding) with a cold cache."""
    dataset_dir = replicate_dataset(rendered, scratch / "shards", rows)
    label_paths = export_loose(dataset_dir, scratch / "loose")
    loose_files = list((scratch / "loose").iterdir())
    dataset = open_dataset(dataset_dir)  # opened once, as a training job does; each pass re-reads the shards
    reader = dataset.reader(columns=[*LABELS, *IMAGES], decode=True)
    shard_files = [Path(p) for p in dataset.shard_paths]
    arrays = {k: v for k, v in array_columns(dataset.schema).items() if k in LABELS}
    result: dict[str, Any] = {
        "samples": len(label_paths),
        "resolution": [int(dataset.to_arrow(columns=["width"]).column(0)[0].as_py())] * 2,
        "files_per_sample_loose": 4,
        "shard_files": len(shard_files),
    }
    raw_reader = dataset.reader(columns=[*LABELS, *IMAGES], decode=False)
    for key, decode, cold in (("warm", True, False), ("cold", True, True), ("raw_cold", False, True)):
        shards = _rate(
            lambda r=(reader if decode else raw_reader): read_shards(r),
            (lambda: _evict(shard_files)) if cold else None,
        )
        loose = _rate(
            lambda d=decode: read_loose(label_paths, arrays, d),
            (lambda: _evict(loose_files)) if cold else None,
        )
        result[key] = {
            "shards_samples_per_s": round(shards, 1),
            "loose_samples_per_s": round(loose, 1),
            "speedup": round(shards / loose, 2),
        }
    return result
