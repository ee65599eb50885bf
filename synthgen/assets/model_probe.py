"""What a user's model looks like once imported: its normalised bounds and material names, from Blender itself.

The products sampler places products by their bounds, and it never imports bpy: the main process runs Blender's
importer once per model file in a subprocess (``blender_scenes.common.model_import``, the code the workers use)
and caches the answer under the synthgen cache, keyed by the file's sha256 and the import settings.
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.assets.makehuman_data import default_cache_root

PROBE_TIMEOUT_S = 300


class ModelProbeError(ValueError):
    """Blender could not import the model (a one-line reason)."""


def model_record(file: Path, path: str, fmt: str, scale: float, up_axis: str | None, sha256: str) -> dict[str, Any]:
    return {"path": path, "file": str(file), "format": fmt, "scale": scale, "up_axis": up_axis, "sha256": sha256}


@functools.lru_cache(maxsize=256)
def _probe_cached(record_json: str) -> dict[str, Any]:
    record = json.loads(record_json)
    cache = _cache_path(record)
    if cache.is_file() and cache.with_suffix(".npz").is_file():
        return json.loads(cache.read_text())
    found_sha = file_digest(Path(record["file"]))
    if found_sha != record["sha256"]:
        raise ModelProbeError(f"the file changed (sha256 {found_sha}, expected {record['sha256']})")
    cache.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "blender_scenes.common.model_import", record_json, str(cache.with_suffix(".npz"))],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(("SYNTHGEN_PROBE ", "{"))]
    found = [json.loads(line.removeprefix("SYNTHGEN_PROBE ")) for line in lines]
    info = next((f for f in found if "low" in f), None)
    if result.returncode != 0 or info is None:
        error = next((f["error"] for f in found if "error" in f), None)
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelProbeError(f"Blender cannot import it ({error or tail})")
    size = [h - lo for lo, h in zip(info["low"], info["high"], strict=True)]
    if min(size[:2]) <= 0 or size[2] <= 0:
        raise ModelProbeError(f"the imported mesh is flat ({size} m)")
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    tmp.replace(cache)
    return info


def _cache_path(record: dict[str, Any]) -> Path:
    key = f"{record['sha256']}-{record['format']}-{record['scale']!r}-{record['up_axis']}"
    return default_cache_root() / "model-probes" / f"{key}.json"


def file_digest(path: Path) -> str:
    """The file's sha256 (hex)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def model_mesh(record: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (n, 3) metres, triangles (m, 3)) of the normalised model, as the workers render it."""
    return _mesh_cached(json.dumps(record, sort_keys=True))


@functools.lru_cache(maxsize=16)
def _mesh_cached(record_json: str) -> tuple[np.ndarray, np.ndarray]:
    record = json.loads(record_json)
    _probe_cached(record_json)
    with np.load(_cache_path(record).with_suffix(".npz")) as data:
        return data["vertices"], data["triangles"]


def probe_model(record: dict[str, Any]) -> dict[str, Any]:
    """``{"low", "high", "faces", "materials"}`` of the normalised model (metres, +Z up, base at z = 0)."""
    return _probe_cached(json.dumps(record, sort_keys=True))
