"""Finger-space coordinates of the hand mesh's vertices, for skin detail that follows the fingers (pure numpy).

Every finger vertex gets ``s``: millimetres along its finger's skeleton from the MCP joint (negative over the
metacarpal, towards the wrist), and its side of the finger: dorsal (nail side) or palmar (pad side). From ``s`` the
vertex gets the signed distance to the nearest palmar flexion crease and to the nearest knuckle, which the skin
shader turns into lines (a Gaussian across ``crease_d``) and wrinkle patches (waves across ``knuckle_d``). The
attributes are computed once per hand shape, on the rest pose, and move with the skin when the hand is posed.

Anatomy used (palmar digital creases; Wang et al., "Anatomy of the palmar and digital creases"; standard texts):
* distal digital crease: just proximal of the DIP joint; middle digital crease: at the PIP joint, usually a pair
  of lines ~2 mm apart; proximal digital crease: at the finger base (the web), about 40% of the way from the MCP
  joint to the PIP joint. Thumb: interphalangeal crease at the IP joint, a double crease at the MCP joint.
* Dorsal skin over the PIP (largest), DIP and MCP joints folds into patches of transverse, slightly arched
  wrinkles; in darker skin the knuckles are often more pigmented.
"""

from __future__ import annotations

import numpy as np

FAR_MM = 1000.0  # distance written where a vertex has no crease / knuckle (no finger, or the palm)
# Palmar creases per finger: (position, half-spacing of a double line) in mm; position is given as a function of
# the phalanx lengths L1 (MCP->PIP) and L2 (PIP->DIP) of that finger.
PROXIMAL_CREASE_FRACTION = 0.4
DISTAL_CREASE_OFFSET_MM = -1.0
# Knuckle wrinkle patch size per joint (relative): MCP, PIP, DIP for fingers; MCP, IP for the thumb.
KNUCKLE_SCALE = {"finger": (0.7, 1.0, 0.75), "thumb": (0.8, 1.0)}

ATTRIBUTES = ("crease_d", "crease_pair", "knuckle_d", "knuckle_scale", "finger_lat", "finger_palmar", "finger_dorsal",
              "fingertip", "dorsum")  # fmt: skip


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _project_polyline(points: np.ndarray, chain: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arc length of the nearest point on ``chain`` (K, 3), its segment index and the offset from it (N, 3)."""
    best_d = np.full(len(points), np.inf)
    best_s = np.zeros(len(points))
    best_seg = np.zeros(len(points), np.int64)
    best_off = np.zeros_like(points)
    start = 0.0
    for k in range(len(chain) - 1):
        a, b = chain[k], chain[k + 1]
        ab = b - a
        length = float(np.linalg.norm(ab))
        t = np.clip((points - a) @ ab / max(length**2, 1e-12), 0.0, 1.0)
        foot = a + t[:, None] * ab
        off = points - foot
        d = np.linalg.norm(off, axis=1)
        better = d < best_d
        best_d[better] = d[better]
        best_s[better] = start + t[better] * length
        best_seg[better] = k
        best_off[better] = off[better]
        start += length
    return best_s, best_seg, best_off


def finger_attributes(
    co: np.ndarray, keypoints: np.ndarray, membership: np.ndarray, side: str
) -> dict[str, np.ndarray]:
    """Per-vertex finger-space attributes (float32 arrays keyed by :data:`ATTRIBUTES`).

    ``co``: (N, 3) rest vertices in metres in the canonical hand frame (palm towards -Z, fingers +Y, see
    ``blender_scenes.hands.hand_asset``); ``keypoints``: (21, 3) rest keypoints in the same frame; ``membership``:
    (5, N) summed skin weight of each finger (thumb..pinky, including its metacarpal); ``side``: "left"/"right".
    """
    n = len(co)
    out = {name: np.zeros(n, np.float32) for name in ATTRIBUTES}
    out["crease_d"][:] = FAR_MM
    out["knuckle_d"][:] = FAR_MM
    owner = np.argmax(membership, axis=0)
    strength = membership[owner, np.arange(n)]
    radial = np.array([-1.0 if side == "right" else 1.0, 0.0, 0.0])
    for finger in range(5):
        sel = np.flatnonzero((owner == finger) & (strength > 0.3))
        if not len(sel):
            continue
        if finger == 0:  # thumb: wrist, CMC, MCP, IP, tip; s from the MCP
            chain = keypoints[[0, 1, 2, 3, 4]]
            dorsal_rest = radial  # the thumb nail faces radially in the rest pose
        else:
            b = 1 + 4 * finger
            chain = keypoints[[0, b, b + 1, b + 2, b + 3]]
            dorsal_rest = np.array([0.0, 0.0, 1.0])
        lengths = np.linalg.norm(np.diff(chain, axis=0), axis=1) * 1000.0
        s_mcp = lengths[0] if finger else lengths[0] + lengths[1]
        s, seg, off = _project_polyline(co[sel], chain)
        s = s * 1000.0 - s_mcp
        # The side of the finger: the offset from the skeleton against the nail direction (made orthogonal to the
        # segment the vertex projects onto).
        axis = np.diff(chain, axis=0)
        axis /= np.linalg.norm(axis, axis=1, keepdims=True)
        seg_axis = axis[seg]
        dorsal = dorsal_rest - (seg_axis @ dorsal_rest)[:, None] * seg_axis
        dorsal /= np.linalg.norm(dorsal, axis=1, keepdims=True)
        lateral_dir = np.cross(seg_axis, dorsal)
        off_n = off / np.maximum(np.linalg.norm(off, axis=1, keepdims=True), 1e-9)
        facing = (off_n * dorsal).sum(1)
        out["finger_dorsal"][sel] = _smoothstep(0.15, 0.6, facing)
        out["finger_palmar"][sel] = _smoothstep(0.15, 0.6, -facing)
        out["finger_lat"][sel] = (off * lateral_dir).sum(1) * 1000.0
        if finger == 0:
            l1 = lengths[2]
            creases = np.array([[0.0, 1.5], [l1, 0.0]])  # MCP (double), IP
            joints = np.array([0.0, l1])
            scales = np.array(KNUCKLE_SCALE["thumb"])
            total = lengths[2] + lengths[3]
        else:
            l1, l2 = lengths[1], lengths[2]
            creases = np.array(
                [[PROXIMAL_CREASE_FRACTION * l1, 0.0], [l1, 1.0], [l1 + l2 + DISTAL_CREASE_OFFSET_MM, 0.0]]
            )
            joints = np.array([0.0, l1, l1 + l2])
            scales = np.array(KNUCKLE_SCALE["finger"])
            total = lengths[1] + lengths[2] + lengths[3]
        nearest = np.argmin(np.abs(s[:, None] - creases[None, :, 0]), axis=1)
        out["crease_d"][sel] = s - creases[nearest, 0]
        out["crease_pair"][sel] = creases[nearest, 1]
        nearest = np.argmin(np.abs(s[:, None] - joints[None, :]), axis=1)
        out["knuckle_d"][sel] = s - joints[nearest]
        out["knuckle_scale"][sel] = scales[nearest]
        # Fingertips are redder (denser capillaries): a ramp over the distal half of the finger.
        out["fingertip"][sel] = _smoothstep(0.45 * total, 0.95 * total, s)
        if finger:  # the back of the hand over the metacarpals, where the dorsal veins show
            over_metacarpal = _smoothstep(-s_mcp - 10.0, -s_mcp + 15.0, s) * _smoothstep(3.0, 15.0, -s)
            out["dorsum"][sel] = _smoothstep(-0.2, 0.4, facing) * over_metacarpal
        # Vertices owned only weakly (webs, palm edge) fade out of every finger effect.
        fade = _smoothstep(0.3, 0.6, strength[sel])
        for name in ("finger_dorsal", "finger_palmar", "fingertip", "dorsum"):
            out[name][sel] *= fade
    return {k: v.astype(np.float32) for k, v in out.items()}
