"""Forward kinematics of the unshaped right hand's finger skeleton, and a thumb-finger capsule collision test.

The rest skeleton below was read from ``blender_scenes.hands.hand_asset.HandAsset`` (right hand, no shape, canonical
frame: wrist at the origin, fingers +Y, palm -Z, metres); ``tests/test_hand_skeleton.py`` checks that it still
matches the asset. A left hand is the mirror image, so the same angles give the same contacts. Posing follows
``HandAsset.set_pose``: each joint rotates by ``spread`` about its spread axis after ``flexion`` about its flexion
hinge, both fixed in the rest frame, pivoting at the joint's rest position, applied from the tip towards the palm.
Identity shapes change the bones by a few millimetres; the collision margin absorbs that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from synthgen.scenes.common.sampling import axis_angle_matrix

# joint -> (rest head, flexion axis, spread axis), armature frame of the unshaped right hand.
REST_JOINTS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]] = {
    "thumb_cmc": ((-0.02187, 0.03328, -0.01383), (-0.4904, -0.7204, -0.4904), (-0.6655, -0.338, 0.6655)),
    "thumb_mcp": ((-0.03942, 0.05104, -0.02237), (-0.558, -0.6143, -0.558), (-0.7051, -0.0745, 0.7051)),
    "thumb_ip": ((-0.0565, 0.07934, -0.03645), (-0.5743, -0.5833, -0.5743), (-0.7071, 0.0032, 0.7071)),
    "index_mcp": ((-0.02075, 0.08525, -0.00156), (-0.9767, -0.2148, 0.0), (-0.0, 0.008, 1.0)),
    "index_pip": ((-0.02875, 0.12162, -0.00185), (-0.9945, -0.1051, 0.0), (-0.0, 0.2872, 0.9579)),
    "index_dip": ((-0.03103, 0.14319, -0.00832), (-0.9946, -0.1037, 0.0), (-0.0, 0.3193, 0.9477)),
    "middle_mcp": ((-0.0003, 0.08487, -0.00207), (-0.9959, 0.0904, -0.0), (-0.0, -0.0182, 0.9998)),
    "middle_pip": ((0.00362, 0.12803, -0.00129), (-0.9979, 0.065, -0.0), (-0.0, 0.2342, 0.9722)),
    "middle_dip": ((0.0052, 0.15227, -0.00712), (-0.9958, 0.0919, -0.0), (-0.0, 0.2324, 0.9726)),
    "ring_mcp": ((0.0188, 0.08044, -0.00057), (-0.978, 0.2085, -0.0), (0.0, 0.0512, -0.9987)),
    "ring_pip": ((0.02662, 0.1171, 0.00131), (-0.977, 0.2132, -0.0), (0.0, -0.2381, -0.9712)),
    "ring_dip": ((0.03153, 0.13961, -0.00421), (-0.9638, 0.2668, -0.0), (0.0, -0.2332, -0.9724)),
    "pinky_mcp": ((0.03381, 0.07313, -0.00171), (-0.9376, 0.3477, -0.0), (-0.0, -0.0658, -0.9978)),
    "pinky_pip": ((0.04416, 0.10107, -0.00355), (-0.941, 0.3383, -0.0), (0.0, -0.344, -0.939)),
    "pinky_dip": ((0.0487, 0.1137, -0.00818), (-0.93, 0.3675, -0.0), (0.0, -0.3731, -0.9278)),
}
# Fingertip surface points at rest: thumb, index, middle, ring, pinky.
REST_TIPS: tuple[tuple[float, float, float], ...] = (
    (-0.06721, 0.09903, -0.04581),
    (-0.0332, 0.16479, -0.01495),
    (0.00685, 0.17556, -0.01021),
    (0.03756, 0.16285, -0.0092),
    (0.05427, 0.12894, -0.01535),
)
CHAINS: dict[str, tuple[str, ...]] = {
    "thumb": ("thumb_cmc", "thumb_mcp", "thumb_ip"),
    **{f: (f"{f}_mcp", f"{f}_pip", f"{f}_dip") for f in ("index", "middle", "ring", "pinky")},
}
# Capsule radii (m) of the proximal, middle and distal phalanges: the skin's distance from the bone axis.
FINGER_RADII_M = (0.0085, 0.0075, 0.0068)
THUMB_RADII_M = (0.0105, 0.0095, 0.0085)  # metacarpal (unused), proximal, distal
# Skin is soft: fingers pressed together overlap their rest capsules by a few millimetres without looking wrong.
CONTACT_SLACK_M = 0.004


def finger_points(joints: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    """Posed (4, 3) points of every finger: its three joints and its tip (right hand, canonical frame)."""
    out = {}
    for i, (finger, chain) in enumerate(CHAINS.items()):
        points = np.array([REST_JOINTS[j][0] for j in chain] + [REST_TIPS[i]], dtype=np.float64)
        for k in reversed(range(3)):  # the distal joint first: each joint carries everything beyond it
            head, flex_axis, spread_axis = (np.asarray(v, dtype=np.float64) for v in REST_JOINTS[chain[k]])
            flex, spread = (float(x) for x in joints.get(chain[k], (0.0, 0.0)))
            rot = axis_angle_matrix(spread_axis, spread) @ axis_angle_matrix(flex_axis, flex)
            points[k + 1 :] = head + (points[k + 1 :] - head) @ rot.T
        out[finger] = points
    return out


def _segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> float:
    """Shortest distance between segments p0-p1 and q0-q1."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e, f = d1 @ d1, d2 @ d2, d2 @ r
    c, b = d1 @ r, d1 @ d2
    denom = a * e - b * b
    s = float(np.clip((b * f - c * e) / denom, 0.0, 1.0)) if denom > 1e-12 else 0.0
    t = (b * s + f) / e
    if t < 0.0:
        t, s = 0.0, float(np.clip(-c / a, 0.0, 1.0))
    elif t > 1.0:
        t, s = 1.0, float(np.clip((b - c) / a, 0.0, 1.0))
    return float(np.linalg.norm((p0 + s * d1) - (q0 + t * d2)))


def _capsules(points: np.ndarray, radii: Sequence[float], first: int) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Phalanx capsules from joint ``first`` on; the last ends one radius short of the tip (the tip is skin)."""
    caps = []
    for k in range(first, 3):
        a, b = points[k], points[k + 1]
        if k == 2:
            axis = (b - a) / np.linalg.norm(b - a)
            b = b - radii[k] * axis
        caps.append((a, b, radii[k]))
    return caps


def thumb_overlaps(joints: Mapping[str, Sequence[float]]) -> list[tuple[str, float]]:
    """(finger, overlap in metres) for every finger whose capsules the thumb's phalanges sink into by more than
    :data:`CONTACT_SLACK_M`."""
    points = finger_points(joints)
    thumb = _capsules(points["thumb"], THUMB_RADII_M, 1)
    hits = []
    for finger in ("index", "middle", "ring", "pinky"):
        worst = max(
            ra + rb - _segment_distance(a0, a1, b0, b1)
            for a0, a1, ra in thumb
            for b0, b1, rb in _capsules(points[finger], FINGER_RADII_M, 0)
        )
        if worst > CONTACT_SLACK_M:
            hits.append((finger, worst))
    return hits
