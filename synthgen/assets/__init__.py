"""Third-party assets (meshes, rigs, textures) fetched once through the package index and cached.

``ASSETS`` maps the names scene kinds declare (``SceneKind.required_assets``) to the function that makes sure
the asset is present; the pipeline calls them in the main process before any worker starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthgen.assets.makehuman_data import MakeHumanDataError, ensure_makehuman_data
from synthgen.errors import SynthgenError

ASSETS: dict[str, Callable[[], Path]] = {"makehuman-hand": ensure_makehuman_data}


def prepare_asset(name: str) -> Path:
    """Fetches (or finds cached) the asset ``name``; a SynthgenError naming it if that fails."""
    try:
        return ASSETS[name]()
    except MakeHumanDataError as exc:
        raise SynthgenError(f"hand asset: {exc}") from None
