"""The export folder: checked before any work (never inside the dataset, new or empty), files written atomically.

Every file is written to a hidden temporary name next to its destination and renamed into place once complete,
so an interrupted export never leaves a truncated image, label file or shard behind under its final name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synthgen.dataset.storage import is_url
from synthgen.errors import UsageError


def prepare_out_dir(out: str | Path, dataset_location: str) -> Path:
    """Creates ``out`` (a new or empty local folder outside the dataset); UsageError naming the problem."""
    if is_url(str(out)):
        raise UsageError(f"out: {str(out)!r} is a URL; exports are written to a local folder")
    target = Path(out).expanduser().resolve()
    if not is_url(dataset_location):
        source = Path(dataset_location).expanduser().resolve()
        if target == source or source in target.parents:
            raise UsageError(f"out: {str(out)!r} is inside the dataset folder {dataset_location!r}; choose another")
    if target.exists() and not target.is_dir():
        raise UsageError(f"out: {str(out)!r} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"out: {str(out)!r} is not empty; choose a new or empty folder")
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
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode an array of shape {rgb.shape} as JPEG")
    return buffer.tobytes()


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
