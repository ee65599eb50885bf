"""WebDataset export: tar shards of one sample per row, for streaming trainers (``webdataset``, ``wids``, torchdata).

```
OUT/train/train-000000.tar ...   up to 1000 samples (or 1 GB) per shard, written by webdataset's TarWriter
OUT/webdataset.json              per split: shard names, sample counts and a brace pattern for WebDataset(...)
```

A sample's files share its ``sample_id`` as key: ``png`` (the RGB image; ``jpg`` with ``image_format="jpg"``),
``mask.npy`` (uint8 instance ids), ``depth.npy`` (uint16, units of ``depth_scale`` metres), ``nir.npy`` and
``defect_mask.npy`` (uint8) when the row has them, and ``json``: every other column (boxes, instances with
poses, keypoints, camera, defects, split, ...) with ``spec``, ``attack_params`` and ``aug_params`` as JSON
objects. Single-channel arrays are ``.npy`` because webdataset's image decoders convert every image to L/RGB
(a 16-bit depth PNG would lose its range); its default ``.npy`` decoder returns them exactly:
``WebDataset(urls).decode("rgb8")`` gives the image as uint8 (H, W, 3) and the arrays as stored.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import webdataset as wds

from synthgen.export.output import ExportSummary, ProgressCallback, encode_picture, write_json
from synthgen.export.rows import ExportSource

log = logging.getLogger(__name__)

SAMPLES_PER_SHARD = 1000
MAX_SHARD_BYTES = 1 << 30
IMAGE_FILES = {
    "image": "png",
    "mask": "mask.npy",
    "depth": "depth.npy",
    "nir": "nir.npy",
    "defect_mask": "defect_mask.npy",
}
JSON_TEXT_COLUMNS = ("spec", "attack_params", "aug_params")


def _plain(value: Any) -> Any:
    """numpy values to JSON-ready Python."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def sample_of(row: dict[str, Any], image_format: str = "png") -> dict[str, Any]:
    """The WebDataset sample of one decoded row: encoded images and a JSON label record."""
    sample: dict[str, Any] = {"__key__": row["sample_id"]}
    labels = {}
    for name, value in row.items():
        if name in IMAGE_FILES:
            if value is None:
                continue
            if name == "image":
                sample[image_format] = encode_picture(value, image_format)
            else:
                sample[IMAGE_FILES[name]] = _npy(value)
        elif name in JSON_TEXT_COLUMNS and isinstance(value, str):
            labels[name] = json.loads(value)
        else:
            labels[name] = _plain(value)
    sample["json"] = json.dumps(labels).encode("utf-8")
    return sample


class _ShardSequence:
    """Tar shards of one split, each written to a temporary name and renamed into place when closed."""

    def __init__(self, folder: Path, split: str) -> None:
        self.folder, self.split = folder, split
        self.names: list[str] = []
        self.samples = 0
        self._stream: io.BufferedWriter | None = None
        self._writer: wds.TarWriter | None = None
        self._count = 0

    def _path(self, index: int) -> Path:
        return self.folder / f"{self.split}-{index:06d}.tar"

    def _close(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        self._stream.close()  # (a TarWriter leaves a stream it was given open)
        final = self._path(len(self.names))
        os.replace(final.with_name(f".{final.name}.tmp"), final)
        self.names.append(final.name)
        self._writer = self._stream = None

    def write(self, sample: dict[str, Any]) -> None:
        if self._writer is not None and (self._count >= SAMPLES_PER_SHARD or self._stream.tell() >= MAX_SHARD_BYTES):
            self._close()
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            final = self._path(len(self.names))
            self._stream = final.with_name(f".{final.name}.tmp").open("wb")
            self._writer = wds.TarWriter(self._stream, encoder=False)
            self._count = 0
        self._writer.write(sample)
        self._count += 1
        self.samples += 1

    def finish(self) -> dict[str, Any]:
        self._close()
        last = len(self.names) - 1
        pattern = (
            f"{self.split}/{self.split}-{{000000..{last:06d}}}.tar" if last > 0 else f"{self.split}/{self.names[0]}"
        )
        return {"shards": [f"{self.split}/{n}" for n in self.names], "samples": self.samples, "pattern": pattern}


def write_webdataset(
    source: ExportSource, out: Path, on_progress: ProgressCallback | None = None, image_format: str = "png"
) -> ExportSummary:
    """Writes ``source`` as WebDataset tar shards (one sequence per split) into the checked, empty ``out``."""
    shards = {split: _ShardSequence(out / split, split) for split in source.splits}
    for done, row in enumerate(source.iter_rows(), start=1):
        shards[row["split"]].write(sample_of(row, image_format))
        if on_progress is not None:
            on_progress(done, source.total_rows)
    index = {split: sequence.finish() for split, sequence in shards.items()}
    write_json(out / "webdataset.json", index)
    summary = ExportSummary("webdataset", out, {s: i["samples"] for s, i in index.items()}, [out / "webdataset.json"])
    log.info(
        "webdataset: %s",
        ", ".join(f"{s} {i['samples']} samples in {len(i['shards'])} shard(s)" for s, i in index.items()),
    )
    return summary
