"""Exact silhouettes of triangle meshes in an image (pure numpy + OpenCV), for the products' visible fraction."""

from __future__ import annotations

import cv2
import numpy as np

SUPERSAMPLE = 16


def rasterise(
    world: np.ndarray, tris: np.ndarray, K: np.ndarray, world_to_cam: np.ndarray, width: int, height: int
) -> np.ndarray:
    """The pixels whose centres the triangles cover (all of them, occluded or not).

    OpenCV fills every pixel a polygon's edge touches, so the triangles are filled on a grid SUPERSAMPLE times
    finer (over the silhouette's bounding box only) and read back at each pixel's centre: the silhouette is
    then exact to 1/SUPERSAMPLE of a pixel.
    """
    cam = world @ world_to_cam[:3, :3].T + world_to_cam[:3, 3]
    front = cam[:, 2] > 1e-4
    uv = (cam @ K.T)[:, :2] / np.where(front, cam[:, 2], 1.0)[:, None]
    keep = front[tris].all(axis=1)
    canvas = np.zeros((height, width), dtype=bool)
    if not keep.any():
        return canvas
    pts = uv[tris[keep]]
    x0, y0 = np.floor(np.clip(pts.reshape(-1, 2).min(axis=0), 0, [width, height])).astype(int)
    x1, y1 = np.ceil(np.clip(pts.reshape(-1, 2).max(axis=0), 0, [width, height])).astype(int)
    if x1 <= x0 or y1 <= y0:
        return canvas
    fine = np.zeros(((y1 - y0) * SUPERSAMPLE, (x1 - x0) * SUPERSAMPLE), dtype=np.uint8)
    # Fine cell (i, j) spans [j, j + 1) / SUPERSAMPLE pixels; 4 fractional bits place vertices within a cell.
    fixed = np.rint((pts - [x0, y0]) * SUPERSAMPLE * 16 - 8).astype(np.int32)
    for tri in fixed:
        cv2.fillConvexPoly(fine, tri, 1, lineType=cv2.LINE_8, shift=4)
    centre = SUPERSAMPLE // 2
    canvas[y0:y1, x0:x1] = fine[centre::SUPERSAMPLE, centre::SUPERSAMPLE] > 0
    return canvas
