"""The user's product models as SKUs: records shaped like procedural SKUs, so products scenes place, frame and
label them the same way (``sku_id`` = the catalogue size + the model's index; ``family`` = "model").

A model's parts (part segmentation) come from its material names: a material whose name holds "cap" or "lid" is
the cap, one holding "label" or "sticker" the label, every other the body.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.assets.model_probe import probe_model
from synthgen.assets.user_assets import UserAssets

MODEL_FAMILY = "model"
PART_WORDS = {"cap": ("cap", "lid"), "label": ("label", "sticker")}


def material_part(name: str) -> str:
    lower = name.lower()
    return next((part for part, words in PART_WORDS.items() if any(w in lower for w in words)), "body")


def model_sku(assets: UserAssets, index: int, sku_id: int) -> dict[str, Any]:
    model = assets.models[index]
    record = assets.model_record(index)
    info = probe_model(record)
    size = [round(h - lo, 6) for lo, h in zip(info["low"], info["high"], strict=True)]
    return {
        "sku_id": int(sku_id),
        "family": MODEL_FAMILY,
        "product_class": model.class_name,
        "size": size,
        "model": record | {"index": index},
        "defect_eligible": model.defects,
        # By material slot of the imported mesh (a worker may rename a material that another file also has).
        "slot_parts": [material_part(name) for name in info["materials"]],
        "bounds_local": [info["low"], info["high"]],
    }


def draw_model(assets: UserAssets, rng: np.random.Generator) -> int:
    """A model index, by the models' weights."""
    weights = np.array([m.weight for m in assets.models], dtype=float)
    return int(rng.choice(len(weights), p=weights / weights.sum()))
