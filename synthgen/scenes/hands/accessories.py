"""What a hand wears and carries on its skin: rings, watches, bracelets, band-aids (geometry that follows the
bones) and skin marks (tattoos, scars, ink, dirt: shader marks on the skin). Pure numpy, seeded.

Two levels, as with a real person:

* **Habits** (:func:`sample_habits`), per identity, seeded only by ``(job_seed, identity_id)`` through
  ``derive_rng(job_seed, Stream.IDENTITY, identity_id, HABITS_KEY)``: which rings on which fingers, whether the
  person owns a watch or a bracelet (and which), their tattoo and scar (permanent: in every sample).
* **Wear** (:func:`sample_accessories`), per sample from the sample's generator: each owned ring/watch/bracelet
  is worn with ``wear_share``; band-aids, pen ink and dirt come and go.

The spec's ``accessories`` record: ``{"items": [{"instance_id", "type", "where", "bone", ...geometry}],
"marks": [{"type", "where", ...shape}]}``. Items get instance ids from :data:`ACCESSORY_INSTANCE_BASE` up (the
mask's pixels of that item); marks are on the skin (part of the hand's instance), listed with where they are.
Nail polish is the identity's (``identity["nails"]["polish"]``) and reported beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from synthgen.scenes.common.sampling import linear_colour
from synthgen.seeding import Stream, derive_rng

ACCESSORY_TYPES: tuple[str, ...] = ("ring", "watch", "bracelet", "band_aid")
MARK_TYPES: tuple[str, ...] = ("tattoo", "scar", "ink", "dirt")
# Instance ids of worn items in the mask (the hand is 1; attack instruments use their own low ids).
ACCESSORY_INSTANCE_BASE = 20
HABITS_KEY = 0xACC  # sub-key of the identity stream: the habits never shift the identity record's draws
MAX_MARKS = 4  # shader slots (blender_scenes.hands.skin_marks)

RING_FINGERS: tuple[str, ...] = ("index", "middle", "ring", "pinky", "thumb")
_RING_FINGER_WEIGHTS = np.array([0.15, 0.12, 0.5, 0.18, 0.05])  # the ring finger, then the little finger
_DIGIT_INDEX = {"thumb": 1, "index": 2, "middle": 3, "ring": 4, "pinky": 5}  # MakeHuman finger numbers
# Metals in linear RGB (reflectance at normal incidence; roughness drawn per item).
METALS: dict[str, tuple[float, float, float]] = {
    "gold": (1.0, 0.71, 0.29),
    "silver": (0.95, 0.93, 0.88),
    "rose_gold": (0.94, 0.62, 0.5),
    "steel": (0.56, 0.57, 0.58),
    "titanium": (0.54, 0.5, 0.45),
}
STRAP_MATERIALS: tuple[str, ...] = ("leather", "rubber", "metal", "fabric")
MARK_REGIONS: dict[str, tuple[str, ...]] = {
    "tattoo": ("back_of_hand", "wrist_back", "wrist_inner", "forearm_back", "forearm_inner", "finger_back"),
    "scar": ("back_of_hand", "palm", "finger_back", "wrist_back", "forearm_back"),
    "ink": ("back_of_hand", "palm", "finger_back"),
    "dirt": ("palm", "finger_palm", "back_of_hand", "finger_back"),
}


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd) + 0.0


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def proximal_bone(finger: str) -> str:
    """The MakeHuman bone stem of ``finger``'s proximal phalanx (side suffix added by the builder)."""
    return f"finger{_DIGIT_INDEX[finger]}-1"


def middle_bone(finger: str) -> str:
    return f"finger{_DIGIT_INDEX[finger]}-2"


def _metal(rng: np.random.Generator) -> dict[str, Any]:
    name = str(rng.choice(list(METALS), p=[0.4, 0.3, 0.1, 0.12, 0.08]))
    return {"metal": name, "colour_linear": list(METALS[name]), "roughness": _r(_u(rng, 0.08, 0.3))}


def _ring(rng: np.random.Generator, finger: str) -> dict[str, Any]:
    return {
        "type": "ring",
        "where": f"{finger}_proximal",
        "bone": proximal_bone(finger),
        "along": _r(_u(rng, 0.35, 0.6)),  # fraction of the proximal phalanx from the MCP joint
        "width_mm": _r(_u(rng, 2.0, 6.0)),
        "thickness_mm": _r(_u(rng, 1.2, 2.2)),
        **_metal(rng),
    }


def _strap(rng: np.random.Generator) -> dict[str, Any]:
    kind = str(rng.choice(STRAP_MATERIALS, p=[0.4, 0.25, 0.25, 0.1]))
    if kind == "metal":
        return {"strap": kind, "strap_colour_linear": list(METALS[str(rng.choice(["silver", "steel", "gold"]))]),
                "strap_roughness": _r(_u(rng, 0.15, 0.35))}  # fmt: skip
    value = (0.03, 0.35) if kind != "fabric" else (0.1, 0.6)
    return {"strap": kind, "strap_colour_linear": linear_colour(rng, (0.1, 0.7), value),
            "strap_roughness": _r(_u(rng, 0.35, 0.8))}  # fmt: skip


def _watch(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "type": "watch",
        "where": "wrist",
        "offset_mm": _r(_u(rng, 18.0, 32.0)),  # proximal of the wrist joint, on the forearm
        "width_mm": _r(_u(rng, 16.0, 22.0)),
        "thickness_mm": _r(_u(rng, 1.5, 2.5)),
        "case_diameter_mm": _r(_u(rng, 32.0, 44.0)),
        "case_height_mm": _r(_u(rng, 7.0, 12.0)),
        "dial_colour_linear": linear_colour(rng, (0.0, 0.4), (0.02, 0.9)),
        **_metal(rng),
        **_strap(rng),
    }


def _bracelet(rng: np.random.Generator) -> dict[str, Any]:
    metal = rng.uniform() < 0.6
    return {
        "type": "bracelet",
        "where": "wrist",
        "offset_mm": _r(_u(rng, 8.0, 28.0)),
        "width_mm": _r(_u(rng, 3.0, 9.0)),
        "thickness_mm": _r(_u(rng, 2.0, 5.0)),
        "clearance_mm": _r(_u(rng, 2.0, 6.0)),  # bracelets hang loose
        **(_metal(rng) if metal else {"metal": None, "colour_linear": linear_colour(rng, (0.3, 0.9), (0.1, 0.8)),
                                      "roughness": _r(_u(rng, 0.3, 0.7))}),
    }  # fmt: skip


def _mark(rng: np.random.Generator, kind: str) -> dict[str, Any]:
    regions = MARK_REGIONS[kind]
    region = str(regions[int(rng.integers(len(regions)))])
    finger = str(rng.choice(["index", "middle", "ring", "pinky"])) if region.startswith("finger") else None
    size = {"tattoo": (15.0, 45.0), "scar": (8.0, 35.0), "ink": (8.0, 30.0), "dirt": (12.0, 35.0)}[kind]
    length = _u(rng, *size)
    aspect = {"tattoo": (0.5, 1.0), "scar": (0.1, 0.25), "ink": (0.06, 0.15), "dirt": (0.4, 1.0)}[kind]
    colour = {
        "tattoo": lambda: [0.015, 0.02, 0.03] if rng.uniform() < 0.8 else linear_colour(rng, (0.6, 0.9), (0.3, 0.6)),
        "scar": lambda: [0.75, 0.5, 0.45],  # pale, pinkish scar tissue (mixed with the skin below)
        "ink": lambda: [0.02, 0.04, 0.35] if rng.uniform() < 0.7 else [0.02, 0.02, 0.02],
        "dirt": lambda: [0.12, 0.08, 0.05],
    }[kind]()
    return {
        "type": kind,
        "where": f"{finger}_{region}" if finger else region,
        "region": region,
        "finger": finger,
        "u": _r(_u(rng, 0.2, 0.8)),  # position inside the region (see accessory_geometry.mark_anchor)
        "v": _r(_u(rng, 0.2, 0.8)),
        "length_mm": _r(length),
        "width_mm": _r(length * _u(rng, *aspect)),
        "angle_deg": _r(_u(rng, 0.0, 180.0)),
        "colour_linear": [_r(c, 5) for c in colour],
        "opacity": _r(
            {
                "tattoo": _u(rng, 0.75, 0.92),
                "scar": _u(rng, 0.45, 0.7),
                "ink": _u(rng, 0.6, 0.9),
                "dirt": _u(rng, 0.4, 0.7),
            }[kind]
        ),
        # Pattern: 0 a solid patch (scar, ink), > 0 the broken-up texture of dirt or a tattoo's line work.
        "pattern": {"tattoo": 1.0, "scar": 0.0, "ink": 0.0, "dirt": 2.0}[kind],
        "pattern_seed": _r(_u(rng, 0.0, 100.0), 3),
    }


def sample_habits(job_seed: int, identity_id: int, sampling: Any) -> dict[str, Any]:
    """The identity's accessories and permanent marks (the same record in every sample of the identity).

    ``sampling``: a :class:`synthgen.scenes.hands.config.AccessorySampling` (ownership shares)."""
    rng = derive_rng(job_seed, Stream.IDENTITY, identity_id, HABITS_KEY)
    rings: list[dict[str, Any]] = []
    if rng.uniform() < sampling.ring_owner_share:
        count = 1 + int(rng.uniform() < 0.3) + int(rng.uniform() < 0.1)
        fingers = rng.choice(len(RING_FINGERS), size=count, replace=False, p=_RING_FINGER_WEIGHTS)
        rings = [_ring(rng, RING_FINGERS[int(i)]) for i in sorted(fingers)]
    watch = _watch(rng) if rng.uniform() < sampling.watch_owner_share else None
    bracelet = _bracelet(rng) if rng.uniform() < sampling.bracelet_owner_share else None
    if watch is not None and bracelet is not None:  # not on the same spot of the wrist
        bracelet["offset_mm"] = _r(watch["offset_mm"] + 0.5 * watch["width_mm"] + 0.5 * bracelet["width_mm"] + 3.0)
    tattoo = _mark(rng, "tattoo") if rng.uniform() < sampling.tattoo_share else None
    scar = _mark(rng, "scar") if rng.uniform() < sampling.scar_share else None
    return {"rings": rings, "watch": watch, "bracelet": bracelet, "marks": [m for m in (tattoo, scar) if m]}


# Sleeve fabrics: pattern weights of blender_scenes.hands.sleeve_fabric, roughness, sheen, colour value range.
SLEEVE_FABRICS: dict[str, dict[str, Any]] = {
    "knit": {"pattern": {"rib": 0.6, "twill": 0.0, "check": 0.0, "fuzz": 0.25}, "roughness": 0.85, "sheen": 0.4,
             "bump": 0.5, "value": (0.1, 0.8)},
    "denim": {"pattern": {"rib": 0.0, "twill": 0.45, "check": 0.0, "fuzz": 0.45}, "roughness": 0.8, "sheen": 0.1,
              "bump": 0.3, "value": (0.15, 0.45)},
    "check": {"pattern": {"rib": 0.0, "twill": 0.1, "check": 0.9, "fuzz": 0.15}, "roughness": 0.75, "sheen": 0.2,
              "bump": 0.15, "value": (0.2, 0.8)},
    "jersey": {"pattern": {"rib": 0.0, "twill": 0.0, "check": 0.0, "fuzz": 0.2}, "roughness": 0.8, "sheen": 0.3,
               "bump": 0.1, "value": (0.05, 0.9)},
    "fleece": {"pattern": {"rib": 0.0, "twill": 0.0, "check": 0.0, "fuzz": 0.5}, "roughness": 0.95, "sheen": 1.0,
               "bump": 0.4, "value": (0.1, 0.7)},
    "nylon": {"pattern": {"rib": 0.0, "twill": 0.0, "check": 0.0, "fuzz": 0.05}, "roughness": 0.3, "sheen": 0.0,
              "bump": 0.05, "value": (0.05, 0.6)},
}  # fmt: skip


def sample_sleeve(rng: np.random.Generator) -> dict[str, Any]:
    """The sleeve's fabric in this sample (clothes change from day to day)."""
    names = list(SLEEVE_FABRICS)
    fabric = names[int(rng.integers(len(names)))]
    kind = SLEEVE_FABRICS[fabric]
    if fabric == "denim":
        colour = [_r(c, 5) for c in (0.03 * _u(rng, 0.6, 1.6), 0.06 * _u(rng, 0.7, 1.5), 0.16 * _u(rng, 0.6, 1.5))]
    else:
        colour = linear_colour(rng, (0.0, 0.75), kind["value"])
    shade = _u(rng, 0.35, 0.75)  # the pattern's second colour: a darker (or, for checks, other) shade
    second = linear_colour(rng, (0.2, 0.8), kind["value"]) if fabric == "check" else [_r(c * shade, 5) for c in colour]
    return {
        "fabric": fabric,
        "colour_linear": colour,
        "colour_b_linear": second,
        "pattern": dict(kind["pattern"]),
        "roughness": _r(kind["roughness"] + _u(rng, -0.05, 0.05)),
        "sheen": kind["sheen"],
        "bump": kind["bump"],
    }


def sample_accessories(habits: Mapping[str, Any], rng: np.random.Generator, sampling: Any) -> dict[str, Any]:
    """What this sample wears: owned items each worn with ``wear_share``, plus band-aid, ink and dirt."""
    items: list[dict[str, Any]] = []
    for ring in habits["rings"]:
        if rng.uniform() < sampling.wear_share:
            items.append(dict(ring))
    for key in ("watch", "bracelet"):
        if habits[key] is not None and rng.uniform() < sampling.wear_share:
            items.append(dict(habits[key]))
    if rng.uniform() < sampling.band_aid_share:
        finger = str(RING_FINGERS[int(rng.integers(len(RING_FINGERS)))])
        segment = "proximal" if finger == "thumb" or rng.uniform() < 0.4 else "middle"
        items.append({
            "type": "band_aid", "where": f"{finger}_{segment}",
            "bone": proximal_bone(finger) if segment == "proximal" else middle_bone(finger),
            "along": _r(_u(rng, 0.4, 0.6)), "width_mm": _r(_u(rng, 16.0, 20.0)), "thickness_mm": 0.6,
            "colour_linear": [_r(c, 5) for c in (0.55 * _u(rng, 0.85, 1.1), 0.36, 0.24)],
            "roughness": _r(_u(rng, 0.45, 0.7)),
        })  # fmt: skip
    for index, item in enumerate(items):
        item["instance_id"] = ACCESSORY_INSTANCE_BASE + index
    marks = [dict(m) for m in habits["marks"]]
    if rng.uniform() < sampling.ink_share:
        marks.append(_mark(rng, "ink"))
    if rng.uniform() < sampling.dirt_share:
        marks.append(_mark(rng, "dirt"))
    return {"items": items, "marks": marks[:MAX_MARKS], "sleeve": sample_sleeve(rng)}


def worn(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What a spec's hand shows: its ``accessories`` in a live hands-scene render; nothing on an attack's hand or a
    hand holding a product (a grip round a product has no clearance for a ring yet)."""
    if spec.get("scene_type") != "hands" or spec.get("attack_type") is not None or "accessories" not in spec:
        return {"items": [], "marks": [], "sleeve": None}
    return dict(spec["accessories"])


def accessory_classes(spec: Mapping[str, Any]) -> dict[int, str]:
    """Instance id -> class of the items a spec's hand wears (empty without accessories)."""
    return {int(item["instance_id"]): str(item["type"]) for item in worn(spec)["items"]}
