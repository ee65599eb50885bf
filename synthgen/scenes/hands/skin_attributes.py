"""Per-vertex skin attributes of the hand asset's rest pose (pure numpy): palm coordinates, palm and palmar
weights, nail weights, rest coordinates in mm. The Blender side writes them into the mesh.

Palm coordinates are anatomical, the same for both sides: u from the thumb side (0) to the little-finger side (1),
v from the wrist (0) to the finger bases (1). The hand frame has the palm facing -Z.
"""

from __future__ import annotations

import numpy as np

from synthgen.scenes.common.sampling import smoothstep


def palm_uv(co: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Palm coordinates (u, v) of rest vertices ``co`` from the rest keypoints (hand frame)."""
    mcp_y = float(np.mean(keypoints[[5, 9, 13, 17], 1]))
    x_index, x_pinky = keypoints[5, 0], keypoints[17, 0]
    span = x_pinky - x_index  # signed: the sides are mirror images
    thumb_edge, pinky_edge = x_index - 0.3 * span, x_pinky + 0.12 * span
    return (co[:, 0] - thumb_edge) / (pinky_edge - thumb_edge), co[:, 1] / mcp_y


def skin_attributes(co: np.ndarray, normals: np.ndarray, keypoints: np.ndarray, side: str) -> dict[str, np.ndarray]:
    """``palm_weight``, ``palmar_weight``, ``nail_weight``, ``nail_v`` and ``rest_co`` (mm) per rest vertex."""
    count = len(co)
    u, v = palm_uv(co, keypoints)
    facing_palm = smoothstep(0.15, 0.55, -normals[:, 2])
    inside = (
        smoothstep(-0.08, 0.02, u) * smoothstep(-0.08, 0.02, 1.0 - u)
        * smoothstep(-0.12, 0.0, v) * smoothstep(-0.08, 0.02, 1.0 - v)
    )  # fmt: skip
    palm_weight = (facing_palm * inside).astype(np.float32)
    # Palm and palmar fingers carry little melanin; the inner forearm only a little less than the back of the arm.
    palmar_weight = (facing_palm * (0.25 + 0.75 * smoothstep(-0.2, 0.0, v))).astype(np.float32)

    nail_weight = np.zeros(count, np.float32)
    nail_v = np.zeros(count, np.float32)  # along the nail: 0 at the proximal fold, 1 at the free edge
    radial = np.array([-1.0 if side == "right" else 1.0, 0.0, 0.0])
    for finger, (dip, tip) in enumerate(((3, 4), (7, 8), (11, 12), (15, 16), (19, 20))):
        axis = keypoints[tip] - keypoints[dip]
        length = float(np.linalg.norm(axis))
        axis /= length
        back = np.array([0.0, 0.0, 1.0]) if finger else radial  # the thumb nail faces radially at rest
        back = back - (back @ axis) * axis
        back /= np.linalg.norm(back)
        rel = co - keypoints[dip]
        along = rel @ axis / length
        near = np.linalg.norm(rel - np.outer(rel @ axis, axis), axis=1) < 0.012
        weight = smoothstep(0.3, 0.45, along) * smoothstep(-1.02, -0.92, -along) * smoothstep(0.35, 0.6, normals @ back)
        weight = (weight * near).astype(np.float32)
        nail_v = np.where(weight > nail_weight, np.clip((along - 0.375) / 0.595, 0.0, 1.0), nail_v)
        nail_weight = np.maximum(nail_weight, weight)

    return {"palm_weight": palm_weight, "palmar_weight": palmar_weight, "nail_weight": nail_weight,
            "nail_v": nail_v, "rest_co": co * 1000.0}  # fmt: skip
