"""The export folder: checked before any work (never inside the dataset, new or empty), files written atomically.

Every file is written to a hidden temporary name next to its destination and renamed into place once complete,
so an interrupted export never leaves a truncated image, label file or shard behind under its final name.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synthgen.dataset.storage import is_url
from synthgen.errors import UsageError

EXPORT_RECORD = "export.json"  # what an export folder holds; "complete" once every file is in place
EXPORT_RECORD_FORMAT = "synthgen-export"


def _is_export(folder: Path) -> bool:
    try:
        return json.loads((folder / EXPORT_RECORD).read_text()).get("format") == EXPORT_RECORD_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def prepare_out_dir(out: str | Path, dataset_location: str, overwrite: bool = False) -> Path:
    """Creates ``out`` (a new or empty local folder outside the dataset); UsageError naming the problem.

    With ``overwrite``, a folder holding an earlier synthgen export (its ``export.json``) is emptied first;
    a folder of anything else is never touched.
    """
    if is_url(str(out)):
        raise UsageError(f"out: {str(out)!r} is a URL; exports are written to a local folder")
    target = Path(out).expanduser().resolve()
    if not is_url(dataset_location):
        source = Path(dataset_location).expanduser().resolve()
        if target == source or source in target.parents:
            raise UsageError(f"out: {str(out)!r} is inside the dataset folder {dataset_location!r}; choose another")
        if target in source.parents:
            raise UsageError(f"out: {str(out)!r} holds the dataset {dataset_location!r}; choose another folder")
    if target.exists() and not target.is_dir():
        raise UsageError(f"out: {str(out)!r} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not _is_export(target):
            raise UsageError(
                f"out: {str(out)!r} is not empty and holds no synthgen export; choose a new or empty folder"
            )
        if not overwrite:
            raise UsageError(f"out: {str(out)!r} holds an earlier export; pass --overwrite to replace it")
        for child in target.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"out: cannot create {str(out)!r} ({exc.strerror})") from None
    return target


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=1) + "\n")


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 (H, W, 3) or grey uint8 / uint16 (H, W) array."""
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(".png", array)
    if not ok:
        raise ValueError(f"cannot encode an array of shape {array.shape} and dtype {array.dtype} as PNG")
    return buffer.tobytes()


def encode_jpeg(rgb: np.ndarray, quality: int = 95) -> bytes:
    # 4:4:4: no chroma subsampling, so thin coloured edges (labels, defects) keep their colour.
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"cannot encode an array of shape {rgb.shape} as JPEG")
    return buffer.tobytes()


def encode_picture(rgb: np.ndarray, image_format: str) -> bytes:
    """The RGB image as the export's image files: lossless PNG, or JPEG (quality 95) where size matters more."""
    return encode_jpeg(rgb) if image_format == "jpg" else encode_png(rgb)


class AtomicTextWriter:
    """A text file written in pieces (a large JSON streamed out) and renamed into place on ``close``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._temporary = _temporary(path)
        self._file = self._temporary.open("w", encoding="utf-8")

    def write(self, text: str) -> None:
        self._file.write(text)

    def close(self) -> None:
        self._file.close()
        os.replace(self._temporary, self.path)

    def abort(self) -> None:
        self._file.close()
        self._temporary.unlink(missing_ok=True)


ProgressCallback = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass
class ExportSummary:
    """What an export wrote: its format, folder, rows exported per split and the main files."""

    format: str
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    skipped: int = 0  # rows left out (BOP: augmented variants)
