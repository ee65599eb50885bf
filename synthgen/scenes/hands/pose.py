"""Seeded hand poses inside anatomical joint limits (pure numpy; the Blender side applies them).

Conventions (the same as ``blender_scenes.hands.hand_asset.HandAsset``; all angles in degrees)
-----------------------------------------------------------------------------------------
* Joints: :data:`JOINT_NAMES`, each ``[flexion, spread]``. Finger flexion > 0 curls towards the palm,
  < 0 hyperextends. Finger spread > 0 is abduction away from the middle finger (middle finger: > 0 towards
  the thumb). Thumb flexion > 0 moves the tip towards the palm / little finger; thumb spread > 0 moves it away
  from the index and out in front of the palm. The mesh's rest thumb ``(0, 0)`` already stands ~20 degrees
  abducted in front of the palm, so thumb limits are relative to that rest (a tucked fist thumb is about
  cmc (15, -15), mcp (40, 0), ip (35, 0)). PIP, DIP and thumb IP are hinges: their spread is always 0.
* Wrist: ``flexion`` > 0 bends the palm towards the palmar forearm, ``deviation`` > 0 is radial (towards the
  thumb), ``pronation`` > 0 turns a palm-up hand palm-down.

Limits and couplings (ASSH normal range of motion, see ``shared/reference/hands.md``)
------------------------------------------------------------------------------------
* :data:`JOINT_LIMITS`: finger MCP -45..85 (anatomical flexion 90, capped at 85 because deeper flexion pushes the
  fingertips into the palm mesh), PIP 0..100, DIP 0..65 (anatomical 80, mesh cap 65), thumb MCP -10..55,
  thumb IP -15..80. Spread: index -5..20, middle -10..10, ring -5..15, pinky -5..20.
* MCP spread shrinks with MCP flexion (collateral ligaments tighten): the spread limits are multiplied by
  :func:`spread_scale` = ``clip(1 - max(flexion, 0) / 110, 0.25, 1)``.
* Neighbouring fingers may not cross: with the radial angle of a finger defined as ``+spread`` (index, middle)
  or ``-spread`` (ring, pinky), each finger may overlap the next one towards the little finger by at most
  :data:`FINGER_OVERLAP_MAX_DEG`.
* DIP is coupled to PIP: ``|DIP - 2/3 PIP| <= DIP_PIP_TOLERANCE_DEG`` (12; the sampler's noise is +-8).
* Neighbour limits (juncturae tendinum / shared flexor muscle bellies: ring and little fingers cannot move far
  from their neighbours; the index has its own extensor and stays free): the middle/ring and ring/pinky flexion
  differences are at most :data:`NEIGHBOUR_MAX_DIFF_DEG` (MCP 40, PIP 50).
* Thumb: the sum of positive CMC+MCP+IP flexion is at most :data:`THUMB_MAX_TOTAL_FLEXION_DEG` (130), so the
  thumb tip does not sink into the palm.
* The thumb never passes through a finger: capsules round the phalanges of the rest skeleton
  (``synthgen.scenes.hands.skeleton``) may overlap by at most a few millimetres of soft contact; sampled poses
  that would
  are untangled (thumb abducted out in front of the palm, MCP uncurled) and :func:`check_pose` reports them.

Natural variation (published ranges)
-----------------------------------
Limits are what a joint *can* do; how people *use* their hands is far narrower. Functional ranges measured in
activities of daily living: MCP 19-71, PIP 23-87, DIP 10-64 degrees (Bain et al., "The functional range of motion
of the finger joints", J Hand Surg Eur 40(4):406-411, 2015, 90% of 20 Sollerman tasks); mean functional flexion
MCP 61, PIP 60, DIP 39, thumb MCP 21, thumb IP 18 degrees, using about a third of the thumb's flexion (Hume et al.,
"Functional range of motion of the joints of the hand", J Hand Surg Am 15(2):240-243, 1990). A palm presented to a
scanner sits below the low end of those ranges (the hand is opened, not grasping) but not at full extension:
:data:`PRESENTING` holds the family's ranges, chosen so the fingers' summed MCP+PIP flexion stays under the
functional minimum (19 + 23 degrees) for about 60% of samples (mean finger MCP+PIP 38 degrees against 8 for
``open_palm``), the index-to-little-finger fan about a third of the open palm's (6 vs 18 degrees), spread mostly
well under the ASSH abduction range (index/pinky 15-20 degrees), and the thumb in one of :data:`THUMB_MODES`
with its MCP/IP flexion around Hume's functional means. Every family draws its thumb, spread and
per-finger curl with noise of a few degrees (inter-finger differences of the resting cascade).

A pose is plain JSON: ``{"family", "joints": {name: [flexion, spread]}, "wrist": {"flexion", "deviation",
"pronation"}, "params": {...}}`` (``params``: family parameters such as ``grasp_diameter_m``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from synthgen.scenes.hands.rig import JOINT_NAMES
from synthgen.scenes.hands.skeleton import thumb_overlaps

POSE_FAMILIES: tuple[str, ...] = (
    "open_palm", "relaxed", "pointing", "pinch", "fist", "grasp", "natural", "presenting",
)  # fmt: skip
FINGERS: tuple[str, ...] = ("index", "middle", "ring", "pinky")

Range = tuple[float, float]
_HINGE: Range = (0.0, 0.0)
_MCP_FLEX: Range = (-45.0, 85.0)
_PIP_FLEX: Range = (0.0, 100.0)
_DIP_FLEX: Range = (0.0, 65.0)
_MCP_SPREAD: dict[str, Range] = {
    "index": (-5.0, 20.0),
    "middle": (-10.0, 10.0),
    "ring": (-5.0, 15.0),
    "pinky": (-5.0, 20.0),
}
# joint -> ((flexion_min, flexion_max), (spread_min, spread_max)), degrees. MCP spread limits apply at zero
# flexion and shrink with flexion (spread_scale).
JOINT_LIMITS: dict[str, tuple[Range, Range]] = {
    "thumb_cmc": ((-20.0, 30.0), (-20.0, 40.0)),
    "thumb_mcp": ((-10.0, 55.0), (-5.0, 5.0)),
    "thumb_ip": ((-15.0, 80.0), _HINGE),
    **{
        f"{finger}_{joint}": limits
        for finger in FINGERS
        for joint, limits in (
            ("mcp", (_MCP_FLEX, _MCP_SPREAD[finger])),
            ("pip", (_PIP_FLEX, _HINGE)),
            ("dip", (_DIP_FLEX, _HINGE)),
        )
    },
}
WRIST_LIMITS: dict[str, Range] = {"flexion": (-70.0, 80.0), "deviation": (-30.0, 20.0), "pronation": (-90.0, 90.0)}

DIP_PIP_RATIO = 2.0 / 3.0
DIP_PIP_TOLERANCE_DEG = 12.0
_DIP_NOISE_MAX = 8.0
NEIGHBOUR_PAIRS: tuple[tuple[str, str], ...] = (("middle", "ring"), ("ring", "pinky"))
NEIGHBOUR_MAX_DIFF_DEG: dict[str, float] = {"mcp": 40.0, "pip": 50.0}
FINGER_OVERLAP_MAX_DEG = 2.0
THUMB_MAX_TOTAL_FLEXION_DEG = 130.0
_RADIAL_SIGN = {"index": 1.0, "middle": 1.0, "ring": -1.0, "pinky": -1.0}
_EPS = 1e-2  # degrees: tolerance of check_pose for the 3-decimal rounding of sampled angles

# Per-family wrist ranges (uniform), degrees.
WRIST_RANGES: dict[str, dict[str, Range]] = {
    "open_palm": {"flexion": (-15.0, 15.0), "deviation": (-10.0, 10.0), "pronation": (-20.0, 20.0)},
    "relaxed": {"flexion": (-20.0, 30.0), "deviation": (-15.0, 10.0), "pronation": (-30.0, 30.0)},
    "pointing": {"flexion": (-20.0, 20.0), "deviation": (-10.0, 10.0), "pronation": (-30.0, 30.0)},
    "pinch": {"flexion": (-20.0, 25.0), "deviation": (-10.0, 10.0), "pronation": (-30.0, 30.0)},
    "fist": {"flexion": (-25.0, 25.0), "deviation": (-15.0, 10.0), "pronation": (-30.0, 30.0)},
    "grasp": {"flexion": (-25.0, 20.0), "deviation": (-15.0, 10.0), "pronation": (-30.0, 30.0)},
    "natural": {"flexion": (-45.0, 45.0), "deviation": (-25.0, 15.0), "pronation": (-60.0, 60.0)},
    # A palm held over a scanner: the wrist a little extended or flexed, barely deviated or turned.
    "presenting": {"flexion": (-20.0, 15.0), "deviation": (-10.0, 10.0), "pronation": (-20.0, 20.0)},
}
GRASP_DIAMETER_RANGE_M: Range = (0.02, 0.08)
# Approximate phalanx lengths (mm: proximal, middle, distal) for the cylinder-wrap model of the grasp family.
_PHALANX_MM = {"index": (40.0, 25.0, 20.0), "middle": (45.0, 28.0, 22.0), "ring": (42.0, 26.0, 21.0),
               "pinky": (33.0, 20.0, 18.0)}  # fmt: skip
_PALM_CONTACT_MM = 15.0  # half of the palm contact arc before the MCP joint
_FINGER_HALF_THICKNESS_MM = 9.0

Joints = dict[str, list[float]]


def spread_scale(mcp_flexion: float) -> float:
    """Fraction of the MCP spread range still available at this MCP flexion (1 when straight, 0.25 when fisted)."""
    return float(np.clip(1.0 - max(mcp_flexion, 0.0) / 110.0, 0.25, 1.0))


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _n(rng: np.random.Generator, sigma: float) -> float:
    return float(rng.normal(0.0, sigma))


def _clip(x: float, bounds: Range) -> float:
    return float(min(max(x, bounds[0]), bounds[1]))


# ------------------------------------------------------------------------------------------ families
# Each family returns raw angles {joint: [flexion, spread]} for the thumb and the MCP/PIP joints (DIP is derived
# from PIP by _constrain) plus family parameters; _constrain then projects everything inside the limits.


def _fingers(mcp: Mapping[str, float], pip: Mapping[str, float], spread: Mapping[str, float]) -> Joints:
    out: Joints = {}
    for f in FINGERS:
        out[f"{f}_mcp"] = [mcp[f], spread[f]]
        out[f"{f}_pip"] = [pip[f], 0.0]
    return out


def _natural_spread(rng: np.random.Generator, amount: float) -> dict[str, float]:
    """Spread pattern of a hand whose fingers are fanned by ``amount`` (0 = together, 1 = wide)."""
    return {
        "index": amount * 15.0 + _n(rng, 2.0),
        "middle": amount * 2.0 + _n(rng, 2.0),
        "ring": amount * 10.0 + _n(rng, 2.0),
        "pinky": amount * 18.0 + _n(rng, 2.5),
    }


def _thumb(cmc: tuple[float, float], mcp: float, ip: float, mcp_spread: float = 0.0) -> Joints:
    return {"thumb_cmc": [cmc[0], cmc[1]], "thumb_mcp": [mcp, mcp_spread], "thumb_ip": [ip, 0.0]}


def _tucked_thumb(rng: np.random.Generator) -> Joints:
    """Thumb folded over the middle phalanges of a fist."""
    return _thumb((_u(rng, 10, 20), _u(rng, -20, -10)), _u(rng, 30, 50), _u(rng, 25, 45), _n(rng, 1.5))


# Where a relaxed thumb sits (weights of the presenting family): next to the index finger (adducted), resting a
# little in front of the palm, spread out (abducted) or curled a little across the palm. Ranges per mode:
# (cmc flexion, cmc spread, mcp flexion, ip flexion); MCP/IP around Hume et al.'s functional 21/18 degrees.
THUMB_MODES: dict[str, tuple[Range, Range, Range, Range]] = {
    "alongside": ((-10.0, 5.0), (-20.0, -5.0), (0.0, 20.0), (0.0, 25.0)),
    "resting": ((0.0, 15.0), (-5.0, 15.0), (5.0, 30.0), (5.0, 30.0)),
    "abducted": ((-15.0, 0.0), (15.0, 38.0), (-10.0, 10.0), (-15.0, 15.0)),
    "across": ((12.0, 25.0), (-10.0, 5.0), (15.0, 35.0), (10.0, 35.0)),
}
PRESENTING_THUMB_WEIGHTS: dict[str, float] = {"alongside": 0.3, "resting": 0.35, "abducted": 0.25, "across": 0.1}
# The presenting family's ranges (degrees): curl c ~ Beta(2, 3) in [0, 1] sets the common flexion
# MCP = lerp(mcp, c), PIP = lerp(pip, c); each finger adds the cascade step (index -> pinky) and noise; spread
# amount ~ Beta(1.5, 4) x spread_max (0 = fingers together, 1 = the open-palm fan).
PRESENTING: dict[str, Range] = {
    "mcp": (-5.0, 30.0),
    "pip": (8.0, 45.0),
    "cascade": (0.0, 4.0),
    "spread_max": (0.7, 0.7),
}


def _thumb_mode(rng: np.random.Generator, weights: Mapping[str, float]) -> tuple[Joints, str]:
    """A thumb in one of :data:`THUMB_MODES`, drawn by ``weights`` (fixed key order of THUMB_MODES)."""
    names = [m for m in THUMB_MODES if weights.get(m, 0.0) > 0]
    w = np.array([weights[m] for m in names])
    mode = names[int(rng.choice(len(names), p=w / w.sum()))]
    cmc_f, cmc_s, mcp, ip = THUMB_MODES[mode]
    return _thumb((_u(rng, *cmc_f), _u(rng, *cmc_s)), _u(rng, *mcp), _u(rng, *ip), _n(rng, 2.0)), mode


def _presenting(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    """A palm presented to a scanner as people do it: relaxed, fingers slightly curled and close together, the
    thumb in any of its resting places (see :data:`PRESENTING` and the module docstring for the sources)."""
    curl = float(rng.beta(2.0, 3.0))
    step = _u(rng, *PRESENTING["cascade"])
    (m0, m1), (p0, p1) = PRESENTING["mcp"], PRESENTING["pip"]
    mcp = {f: m0 + (m1 - m0) * curl + i * step + _n(rng, 4.0) for i, f in enumerate(FINGERS)}
    pip = {f: p0 + (p1 - p0) * curl + i * step + _n(rng, 5.0) for i, f in enumerate(FINGERS)}
    amount = float(rng.beta(1.5, 4.0)) * PRESENTING["spread_max"][1]
    joints = _fingers(mcp, pip, _natural_spread(rng, amount))
    thumb, mode = _thumb_mode(rng, PRESENTING_THUMB_WEIGHTS)
    return joints | thumb, {"curl": curl, "spread_amount": amount, "thumb": mode}


def _open_palm(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    base = _u(rng, -10.0, 8.0)  # common MCP flexion; < 0 is the slight hyperextension of a presented palm
    mcp = {f: _clip(base + i * _u(rng, 0.0, 2.0) + _n(rng, 3.0), (-15.0, 15.0)) for i, f in enumerate(FINGERS)}
    pip = {f: _u(rng, 0.0, 15.0) for f in FINGERS}
    amount = _u(rng, 0.1, 1.0)
    joints = _fingers(mcp, pip, _natural_spread(rng, amount))
    # A splayed hand mostly spreads its thumb too; some keep it alongside the index or resting.
    thumb, mode = _thumb_mode(rng, {"abducted": 0.7, "resting": 0.15, "alongside": 0.15})
    return joints | thumb, {"spread_amount": amount, "thumb": mode}


def _relaxed(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    """The resting cascade: each finger a little more flexed than the one before it (index -> pinky)."""
    mcp0, dmcp = _u(rng, 10, 30), _u(rng, 3, 10)
    pip0, dpip = _u(rng, 20, 40), _u(rng, 3, 8)
    mcp = {f: mcp0 + i * dmcp + _n(rng, 3.0) for i, f in enumerate(FINGERS)}
    pip = {f: pip0 + i * dpip + _n(rng, 3.0) for i, f in enumerate(FINGERS)}
    joints = _fingers(mcp, pip, _natural_spread(rng, _u(rng, 0.0, 0.5)))
    thumb, mode = _thumb_mode(rng, {"resting": 0.5, "alongside": 0.25, "across": 0.25})
    return joints | thumb, {"thumb": mode}


def _fisted(rng: np.random.Generator, fingers: tuple[str, ...]) -> tuple[dict[str, float], dict[str, float]]:
    return {f: _u(rng, 72, 85) for f in fingers}, {f: _u(rng, 85, 100) for f in fingers}


def _pointing(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    mcp, pip = _fisted(rng, FINGERS[1:])
    mcp["index"], pip["index"] = _u(rng, -10, 15), _u(rng, 0, 15)
    spread = {f: _n(rng, 1.0) for f in FINGERS} | {"index": _u(rng, 0, 10)}
    if rng.uniform() < 0.75:
        return _fingers(mcp, pip, spread) | _tucked_thumb(rng), {"thumb": "tucked"}
    # The "finger gun": thumb up, away from the index.
    thumb = _thumb((_u(rng, -10, 5), _u(rng, 5, 25)), _u(rng, -5, 15), _u(rng, -10, 15), _n(rng, 1.5))
    return _fingers(mcp, pip, spread) | thumb, {"thumb": "up"}


def _pinch(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    """Thumb tip towards the index tip; ``aperture`` 0 = touching, 1 = about 5 cm apart (approximate)."""
    a = _u(rng, 0.0, 1.0)
    others = "curled" if rng.uniform() < 0.6 else "extended"  # extended: the "OK" sign
    mcp = {"index": 40 - 15 * a + _n(rng, 3.0)}
    pip = {"index": 40 - 15 * a + _n(rng, 3.0)}
    for i, f in enumerate(FINGERS[1:], start=1):
        if others == "curled":
            mcp[f] = mcp["index"] + i * _u(rng, 2, 7) + _n(rng, 3.0)
            pip[f] = pip["index"] + i * _u(rng, 2, 7) + _n(rng, 3.0)
        else:
            mcp[f] = i * _u(rng, 0, 6) + _u(rng, -5, 15)
            pip[f] = i * _u(rng, 0, 6) + _u(rng, 0, 20)
    spread = {f: _n(rng, 2.0) for f in FINGERS}
    joints = _fingers(mcp, pip, spread)
    joints |= _thumb(
        (20 - 12 * a + _n(rng, 2.0), -5 + 15 * a + _n(rng, 2.0)), 15 - 5 * a + _n(rng, 2.0), 5 + _n(rng, 4.0)
    )
    return joints, {"aperture": a, "others": others}


def _fist(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    mcp, pip = _fisted(rng, FINGERS)
    joints = _fingers(mcp, pip, {f: _n(rng, 1.0) for f in FINGERS})
    if rng.uniform() < 0.8:
        return joints | _tucked_thumb(rng), {"thumb": "tucked"}
    # Thumb alongside the index finger.
    return joints | _thumb((_u(rng, -5, 5), _u(rng, -20, -10)), _u(rng, 0, 15), _u(rng, 0, 15)), {"thumb": "side"}


def grasp_flexion(diameter_m: float, finger: str) -> tuple[float, float, float]:
    """MCP, PIP, DIP flexion (degrees, uncapped) of a finger wrapped round a cylinder of ``diameter_m``.

    Each joint turns by the arc its neighbouring half-phalanges cover on a circle of radius
    ``diameter/2 + finger half-thickness`` (the MCP also by half the palm's contact arc), so flexion falls as the
    diameter grows: 20 mm gives a near fist, 80 mm about 40 degrees per joint.
    """
    radius_mm = 500.0 * diameter_m + _FINGER_HALF_THICKNESS_MM
    p, m, d = _PHALANX_MM[finger]
    return (
        math.degrees((_PALM_CONTACT_MM + p / 2) / radius_mm),
        math.degrees((p + m) / 2 / radius_mm),
        math.degrees((m + d) / 2 / radius_mm),
    )


def _grasp(rng: np.random.Generator, diameter_m: float | None) -> tuple[Joints, dict[str, Any]]:
    d = _u(rng, *GRASP_DIAMETER_RANGE_M) if diameter_m is None else float(diameter_m)
    if not GRASP_DIAMETER_RANGE_M[0] * 0.5 <= d <= GRASP_DIAMETER_RANGE_M[1] * 1.5:
        raise ValueError(f"grasp_diameter_m {d} outside the modelled range (0.01..0.12 m)")
    mcp, pip = {}, {}
    for f in FINGERS:
        m, p, _ = grasp_flexion(d, f)
        mcp[f], pip[f] = m + _n(rng, 3.0), p + _n(rng, 3.0)
    joints = _fingers(mcp, pip, {f: _n(rng, 2.0) for f in FINGERS})
    x = (d - 0.02) / 0.06  # 0 at 2 cm, 1 at 8 cm
    joints |= _thumb(
        (_u(rng, 10, 20), -10 + 30 * x + _n(rng, 3.0)), 40 - 24 * x + _n(rng, 3.0), 40 - 24 * x + _n(rng, 3.0)
    )
    return joints, {"grasp_diameter_m": round(d, 5)}


def _natural(rng: np.random.Generator) -> tuple[Joints, dict[str, Any]]:
    """Uniform over the coupled ranges: ring and pinky drawn within the neighbour limits of the finger before."""
    mcp_range: Range = (-30.0, 85.0)  # active range; passive hyperextension to -45 is not sampled
    mcp: dict[str, float] = {"index": _u(rng, *mcp_range), "middle": _u(rng, *mcp_range)}
    pip: dict[str, float] = {"index": _u(rng, *_PIP_FLEX), "middle": _u(rng, *_PIP_FLEX)}
    for prev, f in NEIGHBOUR_PAIRS:
        dm, dp = NEIGHBOUR_MAX_DIFF_DEG["mcp"], NEIGHBOUR_MAX_DIFF_DEG["pip"]
        mcp[f] = _u(rng, max(mcp_range[0], mcp[prev] - dm), min(mcp_range[1], mcp[prev] + dm))
        pip[f] = _u(rng, max(_PIP_FLEX[0], pip[prev] - dp), min(_PIP_FLEX[1], pip[prev] + dp))
    spread = {}
    for f in FINGERS:
        lo, hi = _MCP_SPREAD[f]
        s = spread_scale(mcp[f])
        spread[f] = _u(rng, lo * s, hi * s)
    joints = _fingers(mcp, pip, spread)
    lim = JOINT_LIMITS
    joints |= _thumb(
        (_u(rng, *lim["thumb_cmc"][0]), _u(rng, *lim["thumb_cmc"][1])),
        _u(rng, *lim["thumb_mcp"][0]),
        _u(rng, *lim["thumb_ip"][0]),
        _u(rng, *lim["thumb_mcp"][1]),
    )
    return joints, {}


_FAMILY_SAMPLERS: dict[str, Callable[[np.random.Generator], tuple[Joints, dict[str, Any]]]] = {
    "open_palm": _open_palm,
    "relaxed": _relaxed,
    "pointing": _pointing,
    "pinch": _pinch,
    "fist": _fist,
    "natural": _natural,
    "presenting": _presenting,
}


# ------------------------------------------------------------------------------------------ constraints


def _constrain(rng: np.random.Generator, raw: Joints) -> Joints:
    """Project raw angles inside every limit and coupling; DIP = 2/3 PIP + noise. Returns all 15 joints."""
    out: Joints = {}
    # Thumb: limits, then the total-flexion cap (scales the positive flexions down together).
    for j in ("thumb_cmc", "thumb_mcp", "thumb_ip"):
        (flex_lim, spread_lim) = JOINT_LIMITS[j]
        out[j] = [_clip(raw[j][0], flex_lim), _clip(raw[j][1], spread_lim)]
    total = sum(max(out[j][0], 0.0) for j in ("thumb_cmc", "thumb_mcp", "thumb_ip"))
    if total > THUMB_MAX_TOTAL_FLEXION_DEG:
        k = THUMB_MAX_TOTAL_FLEXION_DEG / total
        for j in ("thumb_cmc", "thumb_mcp", "thumb_ip"):
            out[j][0] = out[j][0] * k if out[j][0] > 0 else out[j][0]
    # Fingers: MCP and PIP flexion within limits and within the neighbour limits (chained middle -> ring -> pinky).
    flex: dict[str, dict[str, float]] = {"mcp": {}, "pip": {}}
    for joint, lim in (("mcp", _MCP_FLEX), ("pip", _PIP_FLEX)):
        for f in FINGERS:
            flex[joint][f] = _clip(raw[f"{f}_{joint}"][0], lim)
        for prev, f in NEIGHBOUR_PAIRS:
            d = NEIGHBOUR_MAX_DIFF_DEG[joint]
            ref = flex[joint][prev]
            flex[joint][f] = _clip(flex[joint][f], (max(lim[0], ref - d), min(lim[1], ref + d)))
    # Spread: flexion-scaled limits, and no crossing on the radial angle (+spread for index/middle, -spread for
    # ring/pinky): radial[i+1] <= radial[i] + overlap. A backward pass gives each finger the lowest radial angle the
    # fingers after it still allow, so the forward pass always has a non-empty interval.
    bounds = {}
    for f in FINGERS:
        lo, hi = _MCP_SPREAD[f]
        s = spread_scale(flex["mcp"][f])
        bounds[f] = sorted((_RADIAL_SIGN[f] * lo * s, _RADIAL_SIGN[f] * hi * s))
    floor: dict[str, float] = {}
    nxt: float | None = None
    for f in reversed(FINGERS):
        floor[f] = bounds[f][0] if nxt is None else max(bounds[f][0], nxt - FINGER_OVERLAP_MAX_DEG)
        nxt = floor[f]
    spreads: dict[str, float] = {}
    prev: float | None = None
    for f in FINGERS:
        ceil = bounds[f][1] if prev is None else min(bounds[f][1], prev + FINGER_OVERLAP_MAX_DEG)
        radial = _clip(_RADIAL_SIGN[f] * raw[f"{f}_mcp"][1], (floor[f], ceil))
        spreads[f] = _RADIAL_SIGN[f] * radial
        prev = radial
    for f in FINGERS:
        pip = flex["pip"][f]
        noise = float(np.clip(rng.normal(0.0, 3.0), -_DIP_NOISE_MAX, _DIP_NOISE_MAX))
        out[f"{f}_mcp"] = [flex["mcp"][f], spreads[f]]
        out[f"{f}_pip"] = [pip, 0.0]
        out[f"{f}_dip"] = [_clip(DIP_PIP_RATIO * pip + noise, _DIP_FLEX), 0.0]
    return {j: [round(out[j][0], 3) + 0.0, round(out[j][1], 3) + 0.0] for j in JOINT_NAMES}


# Per step, while the thumb sinks into a finger: abduct it out in front of the palm and uncurl its MCP.
_UNTANGLE_STEP = {"thumb_cmc": (-1.0, 3.0), "thumb_mcp": (-2.0, 0.0)}
_UNTANGLE_MAX_STEPS = 60


def _untangle_thumb(joints: Joints) -> Joints:
    """Moves the thumb out of the fingers it would pass through (capsule test on the rest skeleton).

    Deterministic (no random draws), so poses without a collision are unchanged. A tucked fist thumb typically
    needs 3 steps (CMC abduction +9, MCP flexion -6 degrees) to lie on the curled fingers instead of in them.
    """
    out = {j: list(v) for j, v in joints.items()}
    for _ in range(_UNTANGLE_MAX_STEPS):
        if not thumb_overlaps(out):
            break
        for j, (d_flex, d_spread) in _UNTANGLE_STEP.items():
            (flex_lim, spread_lim) = JOINT_LIMITS[j]
            out[j] = [
                round(_clip(out[j][0] + d_flex, flex_lim), 3) + 0.0,
                round(_clip(out[j][1] + d_spread, spread_lim), 3) + 0.0,
            ]
    return out


def sample_hand_pose(rng: np.random.Generator, family: str, *, grasp_diameter_m: float | None = None) -> dict[str, Any]:
    """A pose of ``family`` (one of :data:`POSE_FAMILIES`) as plain JSON (see the module docstring).

    ``grasp_diameter_m`` fixes the cylinder diameter of the ``grasp`` family (default: uniform 2-8 cm); the
    value used is reported in ``params``.
    """
    if family not in POSE_FAMILIES:
        raise ValueError(f"unknown pose family {family!r}; expected one of {POSE_FAMILIES}")
    if family == "grasp":
        raw, params = _grasp(rng, grasp_diameter_m)
    else:
        raw, params = _FAMILY_SAMPLERS[family](rng)
    joints = _untangle_thumb(_constrain(rng, raw))
    wrist = {k: round(_u(rng, lo, hi), 3) + 0.0 for k, (lo, hi) in WRIST_RANGES[family].items()}
    params = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in params.items()}
    return {"family": family, "joints": joints, "wrist": wrist, "params": params}


def sample_family(rng: np.random.Generator, weights: Mapping[str, float]) -> str:
    """One family drawn with probability proportional to ``weights`` (missing families weigh 0).

    The draw depends only on the weight values, not on the mapping's key order.
    """
    unknown = set(weights) - set(POSE_FAMILIES)
    if unknown:
        raise ValueError(f"unknown pose families {sorted(unknown)}; expected names from {POSE_FAMILIES}")
    w = np.array([float(weights.get(f, 0.0)) for f in POSE_FAMILIES])
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"pose family weights must be finite, >= 0 and not all 0, got {dict(weights)}")
    return POSE_FAMILIES[int(rng.choice(len(w), p=w / w.sum()))]


def joint_angles(pose: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """``pose["joints"]`` as the ``{joint: (flexion, spread)}`` mapping ``HandAsset.set_pose`` takes."""
    return {j: (float(v[0]), float(v[1])) for j, v in pose["joints"].items()}


def check_pose(pose: Mapping[str, Any]) -> list[str]:
    """Every violated limit or coupling of ``pose`` as a readable message (empty: the pose is valid)."""
    errors: list[str] = []
    family = pose.get("family")
    if family is not None and family not in POSE_FAMILIES:
        errors.append(f"unknown family {family!r}")
    joints = pose.get("joints")
    if not isinstance(joints, Mapping):
        return [*errors, "missing 'joints' mapping"]
    missing, unknown = set(JOINT_NAMES) - set(joints), set(joints) - set(JOINT_NAMES)
    if missing:
        errors.append(f"missing joints {sorted(missing)}")
    if unknown:
        errors.append(f"unknown joints {sorted(unknown)}")
    angles: dict[str, tuple[float, float]] = {}
    for j in JOINT_NAMES:
        if j not in joints:
            continue
        v = joints[j]
        if len(v) != 2 or not all(isinstance(x, int | float) and math.isfinite(x) for x in v):
            errors.append(f"{j}: expected [flexion, spread] finite numbers, got {v!r}")
            continue
        angles[j] = (float(v[0]), float(v[1]))
        (f_lo, f_hi), (s_lo, s_hi) = JOINT_LIMITS[j]
        if j.endswith("_mcp") and not j.startswith("thumb"):
            k = spread_scale(angles[j][0])
            s_lo, s_hi = s_lo * k, s_hi * k
        if not f_lo - _EPS <= angles[j][0] <= f_hi + _EPS:
            errors.append(f"{j}: flexion {angles[j][0]:.2f} outside [{f_lo:g}, {f_hi:g}]")
        if not s_lo - _EPS <= angles[j][1] <= s_hi + _EPS:
            errors.append(f"{j}: spread {angles[j][1]:.2f} outside [{s_lo:.2f}, {s_hi:.2f}]")
    for f in FINGERS:
        pip, dip = angles.get(f"{f}_pip"), angles.get(f"{f}_dip")
        if pip and dip and abs(dip[0] - DIP_PIP_RATIO * pip[0]) > DIP_PIP_TOLERANCE_DEG + _EPS:
            errors.append(f"{f}: DIP {dip[0]:.1f} not coupled to PIP {pip[0]:.1f} (2/3 +- {DIP_PIP_TOLERANCE_DEG:g})")
    for a, b in NEIGHBOUR_PAIRS:
        for joint, limit in NEIGHBOUR_MAX_DIFF_DEG.items():
            ja, jb = angles.get(f"{a}_{joint}"), angles.get(f"{b}_{joint}")
            if ja and jb and abs(ja[0] - jb[0]) > limit + _EPS:
                errors.append(f"{a}/{b} {joint.upper()} flexion differ by {abs(ja[0] - jb[0]):.1f} > {limit:g}")
    for a, b in itertools.pairwise(FINGERS):
        ja, jb = angles.get(f"{a}_mcp"), angles.get(f"{b}_mcp")
        if ja and jb and _RADIAL_SIGN[b] * jb[1] > _RADIAL_SIGN[a] * ja[1] + FINGER_OVERLAP_MAX_DEG + _EPS:
            errors.append(f"{a}/{b}: spreads {ja[1]:.1f}/{jb[1]:.1f} cross the fingers")
    if len(angles) == len(JOINT_NAMES):
        for finger, overlap in thumb_overlaps(angles):
            errors.append(f"thumb sinks {1000 * overlap:.1f} mm into the {finger} finger")
    thumb = [angles[j][0] for j in ("thumb_cmc", "thumb_mcp", "thumb_ip") if j in angles]
    if sum(max(x, 0.0) for x in thumb) > THUMB_MAX_TOTAL_FLEXION_DEG + _EPS:
        errors.append(f"thumb total flexion {sum(max(x, 0.0) for x in thumb):.1f} > {THUMB_MAX_TOTAL_FLEXION_DEG:g}")
    wrist = pose.get("wrist")
    if not isinstance(wrist, Mapping):
        errors.append("missing 'wrist' mapping")
    else:
        for k, (lo, hi) in WRIST_LIMITS.items():
            x = wrist.get(k)
            if not isinstance(x, int | float) or not math.isfinite(x):
                errors.append(f"wrist {k}: expected a finite number, got {x!r}")
            elif not lo - _EPS <= x <= hi + _EPS:
                errors.append(f"wrist {k} {x:.1f} outside [{lo:g}, {hi:g}]")
    return errors
