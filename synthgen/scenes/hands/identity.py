"""Per-identity hand records (shape, skin, palm creases, vein tree, nails, marks) and per-sample variation.

An identity is plain JSON seeded only by ``(job_seed, identity_id)`` through
``derive_rng(job_seed, Stream.IDENTITY, identity_id)``: every sample of that identity gets the same record.
:func:`sample_variation` draws the small per-sample changes (crease jitter, line width/darkness, moisture) as a
separate record and never touches the identity.

Palm coordinates (both hands alike, anatomical): ``u`` in [0, 1] across the palm from the thumb (radial) side
``u = 0`` to the little-finger (ulnar) side ``u = 1``; ``v`` in [0, 1] from the distal wrist crease ``v = 0`` to the
finger bases ``v = 1``. The palm is ``palm_size_mm = [width, length]`` so one unit of ``u`` and of ``v`` are
different lengths: curve shapes, jitter and widths are drawn in millimetres and stored in (u, v).

Identity record::

    {"identity_id": int, "handedness": "left" | "right",
     "shape": {scale, fingers_length, fingers_diameter, fingers_distance, translation, wrist_circumference},
     "palm_size_mm": [width, length],
     "skin": {"fitzpatrick": 1..6, "melanin", "palm_melanin", "haemoglobin", "oxygen_saturation",
              "albedo_linear": [r, g, b], "palm_albedo_linear": [r, g, b], "ita_deg", "nir_albedo",
              "subsurface_radius_mm": [r, g, b], "subsurface_scale", "roughness"},
     "creases": [{"name", "kind": "principal" | "secondary", "points": [[u, v] x 3] (quadratic Bezier P0, P1, P2),
                  "width_mm", "depth_mm", "darkness", "taper": [start, end]}, ...],
     "veins": {"contrast", "branches": [{"parent": index | -1, "points": [[u, v], ...],
                                         "radius_mm": [start, end], "depth_mm": [start, end]}, ...]},
     "nails": {"colour_linear": [r, g, b], "gloss", "lunula", "polish": null | {"colour_linear", "gloss"}},
     "marks": [{"kind": "mole" | "freckle" | "scar", "center": [u, v], "radius_mm", "length_mm", "angle_deg",
                "colour_linear": [r, g, b], "opacity"}, ...],
     "detail": {"wear", "digit_crease_darkness", "digit_crease_width_mm", "digit_crease_depth_mm",
                "wrinkle_depth_mm", "wrinkle_period_mm", "wrinkle_arch_per_mm", "knuckle_pigment", "palm_mottle",
                "pore_depth_mm", "dorsal_veins", "texture_offset_mm": [x, y, z], "skin_lines"}}

Variation record (same crease order as the identity)::

    {"creases": [{"offsets": [[du, dv] x 3], "width_scale", "darkness_scale"}, ...],
     "jitter_mm", "vein_contrast_scale",
     "skin_state": {"moisture": 0..1, "roughness_offset", "specular_scale", "blood_scale"}}
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from synthgen.scenes.hands import skin as skin_model
from synthgen.seeding import Stream, derive_rng

SHAPE_KEYS: tuple[str, ...] = (
    "scale",
    "fingers_length",
    "fingers_diameter",
    "fingers_distance",
    "translation",
    "wrist_circumference",
)
PRINCIPAL_CREASES: tuple[str, ...] = ("heart", "head", "life")
PRINCIPAL_PROBABILITY = 0.99
FOURTH_CREASE_PROBABILITY = 0.1  # the fate (longitudinal) line
# Secondary creases: hypothenar crease densities of 3.5 (men) to 5.7 (women) per cm^2 are reported (2 x 2 cm
# counts on palmprints); over the ~60 cm^2 of a palm that is a few tens of visible minor creases.
SECONDARY_COUNT: tuple[int, int] = (18, 36)
SECONDARY_LENGTH: tuple[float, float] = (0.08, 0.4)  # fraction of the palm width
# Fine wrinkles (tertiary creases): short, thin and faint; the texture between the lines at 256 px.
FINE_COUNT: tuple[int, int] = (60, 120)
FINE_LENGTH_MM: tuple[float, float] = (3.0, 10.0)
MAX_VEIN_BRANCHES = 64
PRINCIPAL_JITTER_SHARE = 1.0 / 3.0  # principal creases move a third as much as the soft ones between captures
_PALM_WIDTH_MM = 82.0  # adult palm breadth at scale 0 (ANSUR-like men ~87, women ~77)
_ROUND = 5

Point = tuple[float, float]


def _r(x: float, nd: int = _ROUND) -> float:
    return round(float(x), nd) + 0.0


def _rv(xs: Any, nd: int = _ROUND) -> list[float]:
    return [_r(x, nd) for x in np.asarray(xs, dtype=np.float64).ravel()]


def bezier(points: Any, t: np.ndarray) -> np.ndarray:
    """Points (len(t), 2) of the quadratic Bezier with control points ``points`` (3 x 2) at parameters ``t``."""
    p = np.asarray(points, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)[:, None]
    return (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t**2 * p[2]


# ------------------------------------------------------------------------------------------ creases


class _Palm:
    """Millimetre <-> (u, v) conversion for one palm."""

    def __init__(self, width_mm: float, length_mm: float) -> None:
        self.scale = np.array([width_mm, length_mm])

    def to_mm(self, uv: Any) -> np.ndarray:
        return np.asarray(uv, dtype=np.float64) * self.scale

    def to_uv(self, mm: Any) -> np.ndarray:
        return np.asarray(mm, dtype=np.float64) / self.scale


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _bent_control(palm: _Palm, p0: Any, p2: Any, along: float, bend: float) -> np.ndarray:
    """Control point at ``along`` of the chord P0->P2, pushed ``bend`` x chord length to its left (mm space)."""
    a, b = palm.to_mm(p0), palm.to_mm(p2)
    chord = b - a
    left = np.array([-chord[1], chord[0]])
    return palm.to_uv(a + along * chord + bend * left)


# Principal lines read 1-2 mm wide in palm photographs (the fold's floor and its shadowed walls); the width drawn
# here is the Gaussian profile's 2 sigma, so the visible line is about 1.2 x that.
_PRINCIPAL_LOOK = (1.0, 1.6)


def _principal(rng: np.random.Generator, palm: _Palm, name: str, start: Point | None = None) -> dict[str, Any]:
    """One principal crease, control points drawn around its anatomical course (see the module docstring)."""
    if name == "heart":  # distal transverse crease: from the ulnar edge, curving up to between index and middle
        p0 = (_u(rng, 0.97, 1.0), _u(rng, 0.70, 0.80))
        p2 = (_u(rng, 0.20, 0.45), _u(rng, 0.86, 0.97))
        p1 = _bent_control(palm, p0, p2, _u(rng, 0.3, 0.5), _u(rng, 0.1, 0.22))
        width, depth, dark, taper = _PRINCIPAL_LOOK, (0.3, 0.6), (0.45, 0.75), (_u(rng, 0.0, 0.05), _u(rng, 0.1, 0.3))
    elif name == "head":  # proximal transverse crease: from the radial edge obliquely across the palm
        p0 = start if start is not None else (_u(rng, 0.0, 0.04), _u(rng, 0.62, 0.74))
        p2 = (_u(rng, 0.62, 0.95), _u(rng, 0.38, 0.60))
        p1 = _bent_control(palm, p0, p2, _u(rng, 0.4, 0.6), _u(rng, -0.04, 0.08))
        width, depth, dark, taper = _PRINCIPAL_LOOK, (0.3, 0.6), (0.45, 0.75), (_u(rng, 0.0, 0.05), _u(rng, 0.1, 0.3))
    elif name == "life":  # thenar crease: arcs round the thenar eminence from the radial edge to the wrist
        p0 = start if start is not None else (_u(rng, 0.0, 0.05), _u(rng, 0.60, 0.72))
        p2 = (_u(rng, 0.28, 0.50), _u(rng, 0.0, 0.08))
        p1 = (_u(rng, 0.38, 0.56), _u(rng, 0.36, 0.55))
        width, depth, dark, taper = (1.1, 1.8), (0.35, 0.7), (0.5, 0.8), (_u(rng, 0.0, 0.05), _u(rng, 0.15, 0.35))
    elif name == "fate":  # longitudinal crease from the wrist towards the middle finger
        p0 = (_u(rng, 0.40, 0.62), _u(rng, 0.0, 0.2))
        p2 = (_u(rng, 0.42, 0.60), _u(rng, 0.55, 0.85))
        p1 = _bent_control(palm, p0, p2, 0.5, _u(rng, -0.08, 0.08))
        width, depth, dark, taper = (0.6, 1.0), (0.15, 0.35), (0.3, 0.5), (_u(rng, 0.1, 0.3), _u(rng, 0.1, 0.3))
    else:
        raise ValueError(f"unknown principal crease {name!r}")
    pts = np.clip(np.array([p0, p1, p2], dtype=np.float64), 0.0, 1.0)
    return {
        "name": name,
        "kind": "principal",
        "points": [_rv(p) for p in pts],
        "width_mm": _r(_u(rng, *width)),
        "depth_mm": _r(_u(rng, *depth)),
        "darkness": _r(_u(rng, *dark)),
        "taper": [_r(taper[0]), _r(taper[1])],
    }


def _secondary(rng: np.random.Generator, palm: _Palm) -> dict[str, Any]:
    """A minor crease: length 0.1-0.5 palm widths, random bend; orientation follows the palm region."""
    width_mm = palm.scale[0]
    centre = np.array([_u(rng, 0.08, 0.92), _u(rng, 0.06, 0.9)])
    u, v = centre
    if u > 0.6 and v < 0.68:  # hypothenar: roughly transverse lines
        angle = math.radians(_u(rng, -25, 25))
    elif u < 0.4 and v < 0.6:  # thenar eminence: lines roughly along the life line / longitudinal
        angle = math.radians(_u(rng, 55, 125))
    else:
        angle = math.radians(_u(rng, 0, 180))
    length = _u(rng, *SECONDARY_LENGTH) * width_mm
    return _short_crease(
        rng, palm, "secondary", centre, angle, length,
        bend=0.3, width_mm=(0.4, 0.85), depth_mm=(0.08, 0.25), darkness=(0.22, 0.5), taper=(0.15, 0.45),
    )  # fmt: skip


def _fine(rng: np.random.Generator, palm: _Palm) -> dict[str, Any]:
    """A fine wrinkle: 3-10 mm, nearly straight, thin and faint; oriented like the secondary creases nearby."""
    centre = np.array([_u(rng, 0.03, 0.97), _u(rng, 0.03, 0.97)])
    u, v = centre
    if u > 0.6 and v < 0.68:
        angle = math.radians(_u(rng, -35, 35))
    elif u < 0.4 and v < 0.6:
        angle = math.radians(_u(rng, 45, 135))
    else:
        angle = math.radians(_u(rng, 0, 180))
    return _short_crease(
        rng, palm, "fine", centre, angle, _u(rng, *FINE_LENGTH_MM),
        bend=0.15, width_mm=(0.3, 0.5), depth_mm=(0.03, 0.08), darkness=(0.12, 0.26), taper=(0.25, 0.5),
    )  # fmt: skip


def _short_crease(
    rng: np.random.Generator,
    palm: _Palm,
    kind: str,
    centre: np.ndarray,
    angle: float,
    length_mm: float,
    *,
    bend: float,
    width_mm: tuple[float, float],
    depth_mm: tuple[float, float],
    darkness: tuple[float, float],
    taper: tuple[float, float],
) -> dict[str, Any]:
    """A slightly bent crease of ``length_mm`` through ``centre`` (palm uv) at ``angle``: a secondary crease or a
    fine wrinkle, its bend (up to +-``bend``), width, depth, darkness and end tapers drawn from the given ranges."""
    d = 0.5 * length_mm * np.array([math.cos(angle), math.sin(angle)])
    c = palm.to_mm(centre)
    p0, p2 = palm.to_uv(c - d), palm.to_uv(c + d)
    p1 = _bent_control(palm, p0, p2, 0.5, _u(rng, -bend, bend))
    pts = np.clip(np.array([p0, p1, p2]), 0.0, 1.0)
    return {
        "name": kind,
        "kind": kind,
        "points": [_rv(p) for p in pts],
        "width_mm": _r(_u(rng, *width_mm)),
        "depth_mm": _r(_u(rng, *depth_mm)),
        "darkness": _r(_u(rng, *darkness)),
        "taper": [_r(_u(rng, *taper)), _r(_u(rng, *taper))],
    }


def _sample_creases(rng: np.random.Generator, palm: _Palm, darkness_scale: float) -> list[dict[str, Any]]:
    """Principal creases (heart, head, life; p = 0.99 each), the fate line (p = 0.1), 18-36 secondary ones."""
    creases: list[dict[str, Any]] = []
    present = {n: bool(rng.uniform() < PRINCIPAL_PROBABILITY) for n in PRINCIPAL_CREASES}
    # Head and life lines share their radial origin in most palms; otherwise the life line starts lower.
    start = (_u(rng, 0.0, 0.04), _u(rng, 0.62, 0.74))
    joined = bool(rng.uniform() < 0.7)
    life_start = start if joined else (_u(rng, 0.0, 0.05), start[1] - _u(rng, 0.02, 0.07))
    fate = bool(rng.uniform() < FOURTH_CREASE_PROBABILITY)
    for name in PRINCIPAL_CREASES:
        rec = _principal(rng, palm, name, {"head": start, "life": life_start}.get(name))
        if present[name]:
            creases.append(rec)
    rec = _principal(rng, palm, "fate")
    if fate:
        creases.append(rec)
    n = int(rng.integers(SECONDARY_COUNT[0], SECONDARY_COUNT[1] + 1))
    creases.extend(_secondary(rng, palm) for _ in range(n))
    for c in creases:
        c["darkness"] = _r(min(1.0, c["darkness"] * darkness_scale))
    return creases


def _sample_fine_wrinkles(rng: np.random.Generator, darkness_scale: float) -> dict[str, Any]:
    """The fine wrinkles as a compact record (count and a seed); :func:`fine_wrinkle_creases` expands it."""
    return {
        "count": int(rng.integers(FINE_COUNT[0], FINE_COUNT[1] + 1)),
        "seed": int(rng.integers(0, 2**62)),
        "darkness_scale": _r(darkness_scale),
    }


def fine_wrinkle_creases(identity: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The identity's fine wrinkles as crease records (kind "fine"); the same list every time. They do not move
    between captures (they are the skin's own texture), so a variation never touches them."""
    record = identity.get("fine_wrinkles")
    if not record:
        return []
    palm = _Palm(*identity["palm_size_mm"])
    rng = np.random.default_rng(record["seed"])
    creases = [_fine(rng, palm) for _ in range(record["count"])]
    for c in creases:
        c["darkness"] = _r(min(1.0, c["darkness"] * record["darkness_scale"]))
    return creases


# ------------------------------------------------------------------------------------------ veins


def _sample_veins(rng: np.random.Generator, palm: _Palm, melanin: float) -> dict[str, Any]:
    """A subcutaneous vein tree grown from the wrist (mm space), as branches with tapering radius and depth.

    Roots (4-7) enter at the wrist and climb towards the finger bases fanning outwards; each step (3 mm) turns a
    little at random and relaxes towards the branch's heading; side branches split off with probability 0.1 per
    step at 25-60 degrees (up to five generations), thinner (Murray-like radius 0.55-0.8 of the parent) and
    shallower. Branches end when thinner than 0.3 mm or outside the palm.
    """
    step = 3.0
    w, length = palm.scale
    branches: list[dict[str, Any]] = []
    queue: deque[tuple[np.ndarray, float, float, float, int, int]] = deque()
    n_roots = int(rng.integers(4, 8))
    root_u = np.sort(rng.uniform(0.12, 0.88, n_roots))
    for u in root_u:
        heading = math.radians(90.0 - (u - 0.5) * _u(rng, 30.0, 70.0) + rng.normal(0.0, 8.0))
        start = palm.to_mm((u, -0.03))
        queue.append((start, heading, _u(rng, 0.9, 1.6), _u(rng, 2.0, 3.5), -1, 0))
    max_steps = int(1.6 * length / step)
    while queue and len(branches) < MAX_VEIN_BRANCHES:
        pos, heading, radius, depth, parent, generation = queue.popleft()
        me = len(branches)
        x, y = float(pos[0]), float(pos[1])
        pts, r0, d0 = [(x, y)], radius, depth
        angle = heading
        # Per-step draws made up front (fast); side-branch parameters are drawn only when a branch splits.
        turns = np.radians(rng.normal(0.0, 9.0, max_steps)).tolist()
        depth_steps = rng.normal(0.0, 0.08, max_steps).tolist()
        splits = rng.uniform(size=max_steps).tolist()
        for i in range(max_steps):
            angle += turns[i] + 0.15 * (heading - angle)
            x, y = x + step * math.cos(angle), y + step * math.sin(angle)
            radius *= 0.985
            depth = min(max(depth + depth_steps[i], 0.8), 4.0)
            pts.append((x, y))
            if not (-0.05 * w < x < 1.05 * w and -0.05 * length < y < 1.03 * length) or radius < 0.3:
                break
            if generation < 5 and len(branches) + len(queue) < MAX_VEIN_BRANCHES and splits[i] < 0.1:
                side = 1.0 if rng.uniform() < 0.5 else -1.0
                child_heading = angle + side * math.radians(_u(rng, 25.0, 60.0))
                child_r = radius * _u(rng, 0.55, 0.8)
                radius *= 0.92
                child_d = min(max(depth - _u(rng, 0.0, 0.6), 0.8), 4.0)
                queue.append((np.array([x, y]), child_heading, child_r, child_d, me, generation + 1))
        uv = np.round(palm.to_uv(np.array(pts)), 4) + 0.0
        branches.append(
            {
                "parent": parent,
                "points": uv.tolist(),
                "radius_mm": [_r(r0, 3), _r(radius, 3)],
                "depth_mm": [_r(d0, 3), _r(depth, 3)],
            }
        )
    # NIR vein contrast: subcutaneous fat and skin thickness vary per person; melanin attenuates a little at 850 nm.
    contrast = _u(rng, 0.75, 1.0) * (1.0 - 0.3 * melanin)
    return {"contrast": _r(contrast), "branches": branches}


# ------------------------------------------------------------------------------------------ skin, nails, marks


def _sample_skin(rng: np.random.Generator) -> dict[str, Any]:
    fitz = int(rng.integers(1, 7))
    lo, hi = skin_model.FITZPATRICK_MELANIN[fitz]
    melanin = float(np.exp(rng.uniform(math.log(lo), math.log(hi))))
    palm_melanin = melanin * _u(rng, 0.2, 0.4)
    blood = float(np.exp(rng.uniform(math.log(0.005), math.log(0.025))))
    saturation = _u(rng, 0.6, 0.9)
    palm_blood = min(blood * _u(rng, 1.5, 2.1), 0.06)  # palms are redder: dense capillaries (skin.py)
    albedo = skin_model.skin_albedo(melanin, blood, saturation)
    palm_albedo = skin_model.skin_albedo(palm_melanin, palm_blood, saturation, skin_model.PALM_BACKSCATTER)
    sss_scale = _u(rng, 0.8, 1.25)
    return {
        "fitzpatrick": fitz,
        "melanin": _r(melanin),
        "palm_melanin": _r(palm_melanin),
        "haemoglobin": _r(blood),
        "palm_haemoglobin": _r(palm_blood),
        "oxygen_saturation": _r(saturation),
        "albedo_linear": _rv(albedo),
        "palm_albedo_linear": _rv(palm_albedo),
        "ita_deg": _r(skin_model.ita_degrees(albedo), 2),
        "nir_albedo": _r(skin_model.nir_albedo(palm_melanin, palm_blood, saturation, skin_model.PALM_BACKSCATTER)),
        "subsurface_radius_mm": _rv(skin_model.subsurface_radius_mm(palm_blood, saturation) * sss_scale, 4),
        "subsurface_scale": _r(sss_scale),
        "roughness": _r(_u(rng, 0.35, 0.55)),
    }


def _sample_nails(rng: np.random.Generator, palm_albedo: np.ndarray) -> dict[str, Any]:
    bed = np.array([0.62, 0.36, 0.33]) * _u(rng, 0.85, 1.1)  # pink nail bed seen through the plate
    colour = np.clip(0.5 * palm_albedo + 0.5 * bed, 0.0, 1.0)
    polish = None
    if rng.uniform() < 0.08:
        hue_rgb = rng.uniform(0.02, 0.8, 3)
        polish = {"colour_linear": _rv(hue_rgb), "gloss": _r(_u(rng, 0.7, 1.0))}
    return {
        "colour_linear": _rv(colour),
        "gloss": _r(_u(rng, 0.4, 0.9)),
        "lunula": _r(_u(rng, 0.0, 0.25)),
        "polish": polish,
    }


def _sample_marks(rng: np.random.Generator, palm_albedo: np.ndarray) -> list[dict[str, Any]]:
    n = int(rng.choice(4, p=[0.5, 0.3, 0.15, 0.05]))
    marks = []
    for _ in range(n):
        kind = str(rng.choice(["mole", "freckle", "scar"], p=[0.45, 0.35, 0.2]))
        if kind == "mole":
            colour = palm_albedo * np.array([0.35, 0.28, 0.25]) * _u(rng, 0.6, 1.0)
            radius, length, opacity = _u(rng, 0.5, 2.0), 0.0, _u(rng, 0.8, 1.0)
        elif kind == "freckle":
            colour = palm_albedo * np.array([0.8, 0.7, 0.6]) * _u(rng, 0.8, 1.0)
            radius, length, opacity = _u(rng, 0.5, 1.5), 0.0, _u(rng, 0.4, 0.8)
        else:  # scar: a paler, slightly pink line
            colour = np.clip(palm_albedo * np.array([1.15, 1.05, 1.05]) * _u(rng, 1.0, 1.2), 0.0, 1.0)
            radius, length, opacity = _u(rng, 0.3, 0.8), _u(rng, 3.0, 15.0), _u(rng, 0.4, 0.8)
        marks.append(
            {
                "kind": kind,
                "center": _rv(rng.uniform(0.08, 0.92, 2)),
                "radius_mm": _r(radius),
                "length_mm": _r(length),
                "angle_deg": _r(_u(rng, 0.0, 180.0)),
                "colour_linear": _rv(colour),
                "opacity": _r(opacity),
            }
        )
    return marks


def _sample_detail(rng: np.random.Generator, fitzpatrick: int) -> dict[str, Any]:
    """Skin detail that follows the fingers and the skin's fine texture (see ``synthgen.scenes.hands.finger_space``).

    ``wear`` (0..1, a stand-in for age and manual work) deepens the knuckle wrinkles and the digital creases
    together; knuckles are more pigmented in darker skin (knuckle hyperpigmentation is common in types IV-VI).
    """
    wear = _u(rng, 0.0, 1.0)
    return {
        "wear": _r(wear),
        "digit_crease_darkness": _r(_u(rng, 0.3, 0.5) + 0.2 * wear),
        "digit_crease_width_mm": _r(_u(rng, 0.5, 0.9)),
        "digit_crease_depth_mm": _r(_u(rng, 0.12, 0.2) + 0.12 * wear),
        "wrinkle_depth_mm": _r(_u(rng, 0.02, 0.05) + 0.08 * wear),
        "wrinkle_period_mm": _r(_u(rng, 0.9, 1.6)),
        "wrinkle_arch_per_mm": _r(_u(rng, 0.005, 0.03)),
        "knuckle_pigment": _r(min(0.45, _u(rng, 0.5, 1.5) * (0.05 + 0.06 * (fitzpatrick - 1)))),
        "palm_mottle": _r(_u(rng, 0.25, 0.5)),
        "pore_depth_mm": _r(_u(rng, 0.02, 0.05)),
        # Back-of-hand veins show through thin, light skin more than through dark or thick skin.
        "dorsal_veins": _r(_u(rng, 0.2, 0.9) * (1.0 - 0.12 * (fitzpatrick - 1))),
        "texture_offset_mm": _rv(rng.uniform(-500.0, 500.0, 3), 3),
        # The skin's polygonal microrelief (furrows 1-2 mm apart) is deeper on older, working hands.
        "skin_lines": _r(_u(rng, 0.3, 0.6) + 0.3 * wear),
    }


# ------------------------------------------------------------------------------------------ public API


def sample_identity(job_seed: int, identity_id: int) -> dict[str, Any]:
    """The identity record of ``identity_id`` (plain JSON, see the module docstring); depends on nothing else."""
    rng = derive_rng(job_seed, Stream.IDENTITY, identity_id)
    # Sub-streams per part, so changing how one part is drawn never shifts the others.
    # A stream added later leaves the earlier ones unchanged: SeedSequence children are numbered.
    parts = dict(zip(("base", "skin", "creases", "veins", "looks", "detail", "fine"), rng.spawn(7), strict=True))
    base = parts["base"]
    handedness = "left" if base.uniform() < 0.5 else "right"
    shape = {k: _r(np.clip(base.normal(0.0, 0.22), -0.5, 0.5)) for k in SHAPE_KEYS}
    width = _PALM_WIDTH_MM * (1.0 + 0.15 * shape["scale"]) * (1.0 + 0.04 * shape["fingers_distance"])
    length = width * _u(base, 1.12, 1.30)
    palm = _Palm(width, length)
    skin = _sample_skin(parts["skin"])
    palm_albedo = np.array(skin["palm_albedo_linear"])
    return {
        "identity_id": int(identity_id),
        "handedness": handedness,
        "shape": shape,
        "palm_size_mm": [_r(width, 3), _r(length, 3)],
        "skin": skin,
        # Creases of darker skin read darker (pigmented crease floors): up to x1.4 for type VI.
        "creases": _sample_creases(parts["creases"], palm, 1.0 + 0.08 * (skin["fitzpatrick"] - 1)),
        "veins": _sample_veins(parts["veins"], palm, skin["melanin"]),
        "fine_wrinkles": _sample_fine_wrinkles(parts["fine"], 1.0 + 0.08 * (skin["fitzpatrick"] - 1)),
        "nails": _sample_nails(parts["looks"], palm_albedo),
        "marks": _sample_marks(parts["looks"], palm_albedo),
        "detail": _sample_detail(parts["detail"], skin["fitzpatrick"]),
    }


def sample_variation(identity: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Per-sample changes for one render of ``identity`` (see the module docstring); ``identity`` is not modified.

    Only what changes in one person between captures: the soft (secondary) creases shift a little with skin stretch,
    ``jitter_mm`` = 0.1-0.35 mm per control point and axis, the principal creases (anchored by the flexion folds
    beneath them) a third of that; line width and darkness change by a few percent with moisture and blood
    (``width_scale`` ~N(1, 0.05), ``darkness_scale`` ~N(1, 0.07)); moisture makes the skin glossier; the veins'
    NIR contrast varies by +-10% with blood volume (warm or cold hands).
    """
    width, length = identity["palm_size_mm"]
    jitter_mm = _u(rng, 0.1, 0.35)
    creases = []
    for crease in identity["creases"]:
        sigma = jitter_mm * (PRINCIPAL_JITTER_SHARE if crease["kind"] == "principal" else 1.0)
        d_mm = np.clip(rng.normal(0.0, sigma, (3, 2)), -2.5 * sigma, 2.5 * sigma)
        offsets = d_mm / np.array([width, length])
        creases.append(
            {
                "offsets": [_rv(o) for o in offsets],
                "width_scale": _r(np.clip(rng.normal(1.0, 0.05), 0.88, 1.12)),
                "darkness_scale": _r(np.clip(rng.normal(1.0, 0.07), 0.85, 1.15)),
            }
        )
    moisture = _u(rng, 0.0, 1.0)
    return {
        "creases": creases,
        "jitter_mm": _r(jitter_mm),
        "vein_contrast_scale": _r(_u(rng, 0.9, 1.1)),
        "skin_state": {
            "moisture": _r(moisture),
            "roughness_offset": _r(-0.15 * moisture + rng.normal(0.0, 0.02)),
            "specular_scale": _r(1.0 + 0.5 * moisture),
            "blood_scale": _r(_u(rng, 0.85, 1.2)),
        },
    }


def varied_creases(identity: Mapping[str, Any], variation: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The identity's creases with a variation applied (control points clipped to the palm); new dicts."""
    creases = copy.deepcopy(list(identity["creases"]))
    if variation is None:
        return creases
    if len(variation["creases"]) != len(creases):
        raise ValueError("variation does not belong to this identity (crease count differs)")
    for c, v in zip(creases, variation["creases"], strict=True):
        c["points"] = np.clip(np.array(c["points"]) + np.array(v["offsets"]), 0.0, 1.0).tolist()
        c["width_mm"] *= v["width_scale"]
        c["darkness"] = min(1.0, c["darkness"] * v["darkness_scale"])
        c["depth_mm"] *= v["width_scale"]
    return creases
