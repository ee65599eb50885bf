"""Hand keypoint labels from Blender's skeleton and the rendered depth (pure numpy, tested without Blender)."""

from __future__ import annotations

import numpy as np

from synthgen.scenes.common.camera_math import project_points

KEYPOINT_NAMES = (
    "wrist",
    "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_mcp", "index_pip", "index_dip", "index_tip",
    "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)  # fmt: skip
# Bone skeleton edges between keypoint indices (for drawing): wrist to each finger base, then along each finger.
KEYPOINT_EDGES: tuple[tuple[int, int], ...] = tuple(
    (0 if j == 0 else 1 + 4 * f + j - 1, 1 + 4 * f + j) for f in range(5) for j in range(4)
)

# Joint keypoints are joint centres, inside the hand: the skin the camera sees over a visible joint is up to
# about a joint's radius nearer than the joint itself. Tips lie on the skin.
_FINGER_TOLERANCE_M = (0.013, 0.010, 0.009, 0.006)  # MCP, PIP, DIP, tip
DEPTH_TOLERANCE_M = np.array([0.03, 0.025, 0.013, 0.01, 0.006] + list(_FINGER_TOLERANCE_M) * 4, dtype=np.float64)


def keypoint_labels(
    keypoints_world: np.ndarray, camera_K: np.ndarray, camera_pose: np.ndarray, depth_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keypoints_2d (21, 2) pixels, keypoints_3d (21, 3) camera frame metres, visible (21,) bool).

    A keypoint is visible when it projects inside the image, in front of the camera, and no rendered surface
    lies in front of it by more than its depth tolerance (self-occlusion and occlusion by other objects).
    ``depth_m`` is the rendered planar depth in metres (0 where nothing was hit).
    """
    points = np.asarray(keypoints_world, dtype=np.float64)
    uv, z = project_points(points, camera_K, camera_pose)
    world_to_cam = np.linalg.inv(camera_pose)
    camera_points = points @ world_to_cam[:3, :3].T + world_to_cam[:3, 3]
    height, width = depth_m.shape
    cols, rows = np.floor(uv[:, 0]), np.floor(uv[:, 1])
    inside = (z > 0) & (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    visible = np.zeros(len(points), dtype=bool)
    ci, ri = cols[inside].astype(int), rows[inside].astype(int)
    surface = depth_m[ri, ci].astype(np.float64)
    unoccluded = (surface <= 0) | (surface >= z[inside] - DEPTH_TOLERANCE_M[: len(points)][inside])
    visible[np.flatnonzero(inside)] = unoccluded
    return uv, camera_points, visible


def keypoints_in_frame(keypoints_2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """Which keypoints lie inside the image (continuous pixel coordinates)."""
    u, v = keypoints_2d[:, 0], keypoints_2d[:, 1]
    return (u >= 0) & (u < width) & (v >= 0) & (v < height)
