"""The user's product models as SKUs: records shaped like procedural SKUs, so products scenes place, frame and
label them the same way (``sku_id`` = the catalogue size + the model's index; ``family`` = "model").

A model's parts (part segmentation) come from its material names: a material whose name holds "cap" or "lid" is
the cap, one holding "label" or "sticker" the label, every other the body.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.assets.model_probe import model_mesh, probe_model
from synthgen.assets.user_assets import UserAssets

MODEL_FAMILY = "model"
MODEL_DEFECTS = ("dent",)  # what an eligible model may carry (the geometry is the user's: no label to tear)
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


def model_dent(sku: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A dent in the model's side: a point of its surface (a vertex between 20 % and 80 % of its height), a radius
    and a depth; the worker pushes the surface within the radius towards the model's vertical axis."""
    vertices, _ = model_mesh(sku["model"])
    height = float(sku["size"][2])
    side = vertices[(vertices[:, 2] > 0.2 * height) & (vertices[:, 2] < 0.8 * height)]
    centre = (side if len(side) else vertices)[int(rng.integers(len(side) if len(side) else len(vertices)))]
    radius = float(rng.uniform(0.15, 0.3)) * min(sku["size"][0], sku["size"][1])
    return {
        "type": "dent",
        "a": [round(float(v), 6) for v in centre],
        "radius": round(radius, 6),
        "depth": round(float(rng.uniform(0.15, 0.35)) * radius, 6),
    }
