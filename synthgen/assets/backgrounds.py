"""Per-render draws of the user's backgrounds: an HDRI world light (rotation, exposure), a backplate image and a
surface texture. Each record names the file as written, where it was read and its sha256, so a stored spec says
exactly what lit and surrounded its sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.assets.user_assets import UserAssets
from synthgen.scenes.common.sampling import uniform


def sample_user_backgrounds(assets: UserAssets, rng: np.random.Generator) -> dict[str, Any]:
    """``{"hdri", "backplate", "texture"}``, each a record or None (not declared, or not drawn this time)."""
    hdri = backplate = texture = None
    if assets.hdris and rng.uniform() < assets.hdri_share:
        index = int(rng.integers(len(assets.hdris)))
        item = assets.hdris[index]
        hdri = assets.record("hdris", index, item.path) | {
            "rotation_deg": round(uniform(rng, item.rotation_deg), 4),
            "exposure_ev": round(uniform(rng, item.exposure_ev), 4),
        }
    if assets.backplates and rng.uniform() < assets.backplate_share:
        index = int(rng.integers(len(assets.backplates)))
        backplate = assets.record("backplates", index, assets.backplates[index])
    if assets.textures and rng.uniform() < assets.texture_share:
        index = int(rng.integers(len(assets.textures)))
        texture = assets.record("textures", index, assets.textures[index]) | {
            "tile_m": round(uniform(rng, assets.texture_size_m), 4),
            "rotation_deg": round(float(rng.uniform(0.0, 360.0)), 4),
        }
    return {"hdri": hdri, "backplate": backplate, "texture": texture}
