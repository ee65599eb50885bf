"""Grasps in contact: a hand pose closed on a product's actual surface, and where the product sits in the hand.

Pure numpy, in the canonical right-hand frame of ``synthgen.scenes.hands.skeleton`` (wrist at the origin, fingers
+Y, palm -Z, metres; a left hand is its mirror image). The grasp type fits the product family:

- ``power``: round packs (bottle, can, jar, tube) lie across the palm, their axis along the knuckle line; every
  finger and the thumb wrap round until they touch the surface.
- ``pinch``: flat, floppy packs (pouch) are held by the top seal between the thumb and the index and middle
  pads (a tripod), the pack hanging beyond the fingertips.
- ``support``: cartons lie on the open palm, their back on the palm; the fingers bend until they rest on it.

Each digit closes from open along its family's flexion path until its phalanx capsules (the skin's distance from
the bone axis, ``skeleton.FINGER_RADII_M``) first touch the product; the product is placed against the palm's
skin (``PALM_SKIN``, sampled from the MakeHuman rest mesh). ``tests/test_grasp_contact.py`` measures contact and
penetration of the result against the product's own mesh.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.hands.skeleton import FINGER_RADII_M, THUMB_RADII_M, finger_points
from synthgen.scenes.products.geometry import product_mesh

GRASP_OF_FAMILY = {
    "bottle": "power",
    "can": "power",
    "jar": "power",
    "tube": "power",
    "pouch": "pinch",
    "blister": "pinch",
    "carton": "support",
}
FINGERS = ("index", "middle", "ring", "pinky")
CLEARANCE_M = 0.0005  # a digit stops this far short of the surface (contact, not pressure)

# Palmar skin of the rest right hand (z, mm) on a grid: x from -20 to 40 mm, y from 0 to 85 mm (MakeHuman hm08).
_PALM_X = np.array([-0.02, -0.01, 0.0, 0.01, 0.02, 0.03])
_PALM_Y = np.array([0.0, 0.02, 0.04, 0.06, 0.075, 0.085])
_PALM_Z_MM = np.array(
    [
        [-17.4, -22.9, -24.4, -24.4, -22.1, -3.5],
        [-23.2, -24.7, -23.2, -22.9, -22.2, -16.3],
        [-29.7, -27.2, -21.8, -20.6, -21.3, -19.9],
        [-23.4, -21.2, -14.0, -13.5, -15.4, -15.9],
        [-17.2, -14.3, -12.0, -11.6, -13.3, -13.7],
        [-13.8, -13.6, -12.8, -11.7, -11.9, -11.9],
    ]
)
# The central palm (away from the thumb's thenar bulge and the wrist heel) that a pack rests on.
PALM_SKIN = np.array(
    [
        (x, y, _PALM_Z_MM[j, i] / 1000.0)
        for j, y in enumerate(_PALM_Y)
        for i, x in enumerate(_PALM_X)
        if y >= 0.04 and x >= -0.01
    ]
)


# -- the product's shape ------------------------------------------------------------------------------------------
class ProductShape:
    """A product's signed distance (m, < 0 inside) in its local frame (z up from the base), from its mesh: round
    and soft packs as elliptical rings stacked along z (exact for revolved packs), cartons as their box."""

    def __init__(self, sku: dict[str, Any]) -> None:
        verts = product_mesh(sku).array()
        self.low, self.high = verts.min(axis=0), verts.max(axis=0)
        self.box = sku["family"] == "carton"
        # Each ring of vertices (rounded to 0.1 mm, in the loft's order) as a closed polygon; the surface between
        # two rings is taken as their blend, as the mesh is.
        levels, ring = np.unique(np.round(verts[:, 2], 4), return_inverse=True)
        ring = ring.ravel()
        rings, heights = [], []
        for level, z in enumerate(levels):
            points = verts[(ring == level) & (np.hypot(verts[:, 0], verts[:, 1]) > 1e-5)][:, :2]
            if len(points) >= 3:
                rings.append(points)
                heights.append(z)
        self.z = np.array(heights)
        self.rings = rings

    def _ring_distance(self, level: int, xy: np.ndarray) -> np.ndarray:
        """Signed 2D distance from ``xy`` to ring ``level`` (< 0 inside)."""
        a = self.rings[level]
        b = np.roll(a, -1, axis=0)
        ab = b - a
        t = np.clip(((xy[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-18), 0.0, 1.0)
        distance = np.linalg.norm(xy[:, None] - (a + t[..., None] * ab), axis=-1).min(axis=1)
        # Even-odd crossings of a ray along +x.
        ya, yb = a[:, 1], b[:, 1]
        crosses = (ya > xy[:, None, 1]) != (yb > xy[:, None, 1])
        x_at = a[:, 0] + (xy[:, None, 1] - ya) / np.where(yb != ya, yb - ya, 1e-18) * (b[:, 0] - a[:, 0])
        inside = (crosses & (x_at > xy[:, None, 0])).sum(axis=1) % 2 == 1
        return np.where(inside, -distance, distance)

    def distance(self, points: np.ndarray) -> np.ndarray:
        p = np.atleast_2d(points)
        if self.box:
            centre, size = (self.low + self.high) / 2, (self.high - self.low) / 2
            q = np.abs(p - centre) - size
            return np.linalg.norm(np.maximum(q, 0.0), axis=1) + np.minimum(q.max(axis=1), 0.0)
        row = np.clip(np.interp(p[:, 2], self.z, np.arange(len(self.z))), 0, len(self.z) - 1)
        below = np.floor(row).astype(int)
        above, weight = np.minimum(below + 1, len(self.z) - 1), row - below
        at_ring = {}
        for which in (below, above):
            values = np.empty(len(p))
            for level in np.unique(which):
                rows = which == level
                values[rows] = self._ring_distance(int(level), p[rows, :2])
            at_ring[id(which)] = values
        low_ring, high_ring = at_ring[id(below)], at_ring[id(above)]
        radial = (1 - weight) * low_ring + weight * high_ring
        # Across a step (a can's rim, a cap's edge) the blend is not the surface: take the nearer ring's.
        radial = np.where(np.abs(low_ring - high_ring) > 0.002, np.minimum(low_ring, high_ring), radial)
        caps = np.maximum(self.low[2] - p[:, 2], p[:, 2] - self.high[2])
        outside_both = np.sqrt(np.maximum(radial, 0.0) ** 2 + np.maximum(caps, 0.0) ** 2)
        return np.where((radial > 0) & (caps > 0), outside_both, np.maximum(radial, caps))


# -- digits as capsules ---------------------------------------------------------------------------------------
def digit_capsules(joints: dict[str, list[float]], digit: str) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(start, end, radius) of a digit's phalanges in the canonical frame (the thumb from its proximal one)."""
    points = finger_points(joints)[digit]
    radii, first = (THUMB_RADII_M, 1) if digit == "thumb" else (FINGER_RADII_M, 0)
    caps = []
    for k in range(first, 3):
        a, b = points[k], points[k + 1]
        if k == 2:
            b = b - radii[k] * (b - a) / np.linalg.norm(b - a)  # the tip is skin: end one radius short
        caps.append((a, b, radii[k]))
    return caps


def capsule_samples(caps: list[tuple[np.ndarray, np.ndarray, float]], per: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Points along the capsule axes and their radii."""
    t = np.linspace(0.0, 1.0, per)[:, None]
    points = np.vstack([a + t * (b - a) for a, b, _ in caps])
    radii = np.concatenate([np.full(per, r) for _, _, r in caps])
    return points, radii


def clearance(shape: ProductShape, to_local: np.ndarray, caps: list) -> float:
    """Smallest gap (m) between the capsules' skin and the product (< 0: inside it)."""
    points, radii = capsule_samples(caps)
    local = points @ to_local[:3, :3].T + to_local[:3, 3]
    return float((shape.distance(local) - radii).min())


# -- closing the digits ---------------------------------------------------------------------------------------
def _finger_joints(finger: str, t: float, path: tuple[float, float, float], spread: float) -> dict[str, list[float]]:
    mcp, pip, dip = (t * a for a in path)
    return {f"{finger}_mcp": [mcp, spread], f"{finger}_pip": [pip, 0.0], f"{finger}_dip": [dip, 0.0]}


def _thumb_joints(t: float, start: dict[str, list[float]], end: dict[str, list[float]]) -> dict[str, list[float]]:
    return {j: [s + t * (e - s) for s, e in zip(start[j], end[j], strict=True)] for j in start}


def _close(shape: ProductShape, to_local: np.ndarray, digit: str, joints_at: Any) -> tuple[dict, float]:
    """The digit's joints at first contact along ``joints_at(t)``, t in [0, 1] (t = 1 when it never touches),
    and the clearance there. Starting inside the product (t = 0 already in it) opens no further: clearance < 0."""
    gap = lambda t: clearance(shape, to_local, digit_capsules(joints_at(t), digit)) - CLEARANCE_M  # noqa: E731
    steps = np.linspace(0.0, 1.0, 13)
    previous = 0.0
    if gap(0.0) <= 0.0:
        return joints_at(0.0), gap(0.0) + CLEARANCE_M
    for t in steps[1:]:
        if gap(t) <= 0.0:
            low, high = previous, t
            for _ in range(12):
                middle = (low + high) / 2
                low, high = (middle, high) if gap(middle) > 0.0 else (low, middle)
            return joints_at(low), gap(low) + CLEARANCE_M
        previous = t
    return joints_at(1.0), gap(1.0) + CLEARANCE_M


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _frame(x: np.ndarray, y: np.ndarray, z: np.ndarray, origin: np.ndarray) -> np.ndarray:
    matrix = np.eye(4)
    matrix[:3, :3] = np.stack([x, y, z], axis=1)
    matrix[:3, 3] = origin
    return matrix


def _against_palm(shape: ProductShape, in_hand: np.ndarray, push: np.ndarray) -> np.ndarray:
    """``in_hand`` moved along ``push`` (canonical, unit) until the product just touches the palm skin."""
    moved = in_hand.copy()
    for _ in range(40):
        to_local = np.linalg.inv(moved)
        gap = float(shape.distance(PALM_SKIN @ to_local[:3, :3].T + to_local[:3, 3]).min())
        if abs(gap - CLEARANCE_M) < 1e-4:
            break
        moved[:3, 3] += push * (gap - CLEARANCE_M)
    return moved


def fit_grasp(sku: dict[str, Any], rng: np.random.Generator, along: float) -> dict[str, Any]:
    """``{"type", "joints", "product_in_hand" (4x4, canonical right hand), "clearance_m" per digit}``."""
    shape = ProductShape(sku)
    kind = GRASP_OF_FAMILY.get(sku["family"], "power")
    height = float(shape.high[2] - shape.low[2])
    spreads = {f: float(rng.normal(0.0, 2.0)) for f in FINGERS}
    if kind == "power":
        # Axis across the palm (cap on the thumb side), over the distal palm where the fingers start.
        z_axis, y_axis = np.array([-1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
        tilt = math.radians(float(rng.uniform(-12.0, 12.0)))
        z_axis = np.array([-math.cos(tilt), math.sin(tilt), 0.0])
        x_axis = np.cross(y_axis, z_axis)
        middle = np.array([0.0, 0.0, shape.low[2] + along * height])
        centre = np.array([0.012, 0.058, -0.06])
        rotation = np.stack([x_axis, y_axis, z_axis], axis=1)
        in_hand = _frame(x_axis, y_axis, z_axis, centre - rotation @ middle)
        in_hand = _against_palm(shape, in_hand, np.array([0.0, 0.0, 1.0]))
        paths = {
            "index": (95.0, 105.0, 65.0),
            "middle": (95.0, 105.0, 65.0),
            "ring": (95, 105, 65),
            "pinky": (95, 105, 65),
        }
        thumb_open = {"thumb_cmc": [-40.0, -40.0], "thumb_mcp": [0.0, 0.0], "thumb_ip": [0.0, 0.0]}  # along the index
        thumb_closed = {"thumb_cmc": [30.0, 10.0], "thumb_mcp": [40.0, 0.0], "thumb_ip": [60.0, 0.0]}
    elif kind == "support":
        # Back on the palm, front up (to the camera), standing along the fingers.
        x_axis, y_axis, z_axis = np.array([-1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])
        middle = np.array([0.0, 0.0, shape.low[2] + 0.5 * height])
        centre = np.array([0.008, 0.075 + float(rng.uniform(-0.01, 0.01)), -0.08])
        rotation = np.stack([x_axis, y_axis, z_axis], axis=1)
        in_hand = _frame(x_axis, y_axis, z_axis, centre - rotation @ middle)
        in_hand = _against_palm(shape, in_hand, np.array([0.0, 0.0, 1.0]))
        paths = {f: (40.0, 35.0, 20.0) for f in FINGERS}
        thumb_open = {"thumb_cmc": [-40.0, -40.0], "thumb_mcp": [0.0, 0.0], "thumb_ip": [0.0, 0.0]}
        thumb_closed = {"thumb_cmc": [10.0, -30.0], "thumb_mcp": [25.0, 0.0], "thumb_ip": [25.0, 0.0]}
    else:  # pinch: the top seal between the thumb pad and the index and middle pads, the pack hanging away
        y_axis = _unit(np.array([0.015, 0.027, 0.006]))  # thumb pad towards index pad, as in the pinch family
        z_axis = _unit(np.array([0.0, 0.0, 1.0]) - y_axis[2] * y_axis)  # the pack's top towards the hand
        x_axis = np.cross(y_axis, z_axis)
        grip_z = shape.high[2] - min(0.012, 0.2 * height)
        pinch_point = np.array([-0.032, 0.104, -0.069])
        rotation = np.stack([x_axis, y_axis, z_axis], axis=1)
        in_hand = _frame(x_axis, y_axis, z_axis, pinch_point - rotation @ np.array([0.0, 0.0, grip_z]))
        paths = {"index": (50.0, 45.0, 30.0), "middle": (55.0, 50.0, 35.0), "ring": (75, 85, 55), "pinky": (80, 90, 60)}
        thumb_open = {"thumb_cmc": [-10.0, 25.0], "thumb_mcp": [-10.0, 0.0], "thumb_ip": [0.0, 0.0]}
        thumb_closed = {"thumb_cmc": [40.0, -5.0], "thumb_mcp": [40.0, 0.0], "thumb_ip": [35.0, 0.0]}
    to_local = np.linalg.inv(in_hand)
    joints: dict[str, list[float]] = {}
    gaps: dict[str, float] = {}
    for finger in FINGERS:
        path = tuple(float(a) * float(rng.uniform(0.97, 1.03)) for a in paths[finger])
        spread = spreads[finger]
        found, gaps[finger] = _close(
            shape, to_local, finger, lambda t, f=finger, p=path, s=spread: _finger_joints(f, t, p, s)
        )
        joints |= found
    best: tuple[float, dict] | None = None
    for spread_end in (0.0, -10.0, 10.0, -20.0, 20.0):  # a thumb path that meets the pack (first the planned one)
        closed = thumb_closed | {"thumb_cmc": [thumb_closed["thumb_cmc"][0], thumb_closed["thumb_cmc"][1] + spread_end]}
        found, gap = _close(shape, to_local, "thumb", lambda t, c=closed: _thumb_joints(t, thumb_open, c))
        if best is None or abs(gap - CLEARANCE_M) < abs(best[0] - CLEARANCE_M):
            best = (gap, found)
        if abs(gap - CLEARANCE_M) < 2e-4:
            break
    gaps["thumb"], found = best
    joints |= found
    return {
        "type": kind,
        "joints": {k: [round(float(a), 3), round(float(b), 3)] for k, (a, b) in joints.items()},
        "product_in_hand": np.round(in_hand, 6).tolist(),
        "clearance_m": {k: round(v, 5) for k, v in gaps.items()},
    }
