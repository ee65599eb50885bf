"""Camera geometry shared by the sampler, the label code and the tests (pure numpy, no Blender).

Conventions (the dataset contract):
- World: Blender's, metres, Z up.
- ``camera_pose``: 4x4 camera-to-world matrix in the OpenCV camera convention (x right, y down, z forward).
- ``camera_K``: 3x3 pinhole intrinsics in continuous pixel coordinates: pixel (col, row) covers
  [col, col + 1) x [row, row + 1), so its centre is (col + 0.5, row + 0.5) and a projected point (u, v) lies in
  pixel (floor(u), floor(v)). Boxes and keypoints use the same coordinates.
"""

from __future__ import annotations

import math

import numpy as np

# Blender cameras look down -Z with +Y up; OpenCV cameras look down +Z with +Y down.
BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


def look_at(
    location: np.ndarray, target: np.ndarray, roll_deg: float = 0.0, up_hint: np.ndarray | None = None
) -> np.ndarray:
    """4x4 camera-to-world matrix (Blender convention) for a camera at ``location`` looking at ``target``.

    The image's up direction is ``up_hint`` (world +Z by default) as seen by the camera, then rolled.
    """
    location = np.asarray(location, dtype=float)
    forward = np.asarray(target, dtype=float) - location
    forward /= np.linalg.norm(forward)
    world_up = np.array([0.0, 0.0, 1.0]) if up_hint is None else np.asarray(up_hint, dtype=float)
    world_up = world_up / np.linalg.norm(world_up)
    if abs(forward @ world_up) > 0.999:  # looking along the up direction: pick any stable one
        world_up = np.array([0.0, 1.0, 0.0])
    right = np.cross(forward, world_up)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    roll = math.radians(roll_deg)
    right, up = (
        math.cos(roll) * right + math.sin(roll) * up,
        -math.sin(roll) * right + math.cos(roll) * up,
    )
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = right, up, -forward, location
    return matrix


def blender_to_opencv_pose(cam_to_world_blender: np.ndarray) -> np.ndarray:
    return np.asarray(cam_to_world_blender, dtype=float) @ BLENDER_TO_OPENCV


def intrinsics(
    focal_mm: float,
    sensor_width_mm: float,
    sensor_height_mm: float,
    sensor_fit: str,
    width: int,
    height: int,
    shift_x: float = 0.0,
    shift_y: float = 0.0,
) -> np.ndarray:
    """3x3 K for a Blender perspective camera (square pixels), following Blender's sensor-fit rules."""
    if sensor_fit == "AUTO":
        sensor_mm = sensor_width_mm
        fit_px = max(width, height)
    elif sensor_fit == "HORIZONTAL":
        sensor_mm, fit_px = sensor_width_mm, width
    elif sensor_fit == "VERTICAL":
        sensor_mm, fit_px = sensor_height_mm, height
    else:
        raise ValueError(f"sensor_fit: unknown value {sensor_fit!r}")
    focal_px = focal_mm / sensor_mm * fit_px
    cx = width / 2.0 - shift_x * fit_px
    cy = height / 2.0 + shift_y * fit_px
    return np.array([[focal_px, 0.0, cx], [0.0, focal_px, cy], [0.0, 0.0, 1.0]])


def horizontal_fov(focal_mm: float, sensor_mm: float) -> float:
    """Field of view (radians) across the fitted sensor side."""
    return 2.0 * math.atan(sensor_mm / (2.0 * focal_mm))


def direction_from_angles(azimuth: float, elevation: float) -> np.ndarray:
    """The unit vector at ``azimuth`` round +Z from +X and ``elevation`` above the XY plane (radians): where a
    camera or light stands from its target, times its distance."""
    return np.array(
        [math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth), math.sin(elevation)]
    )


def framing_distance(radius: float, fill: float, fov: float) -> float:
    """How far a camera with field of view ``fov`` (radians) stands from a sphere of ``radius`` for the sphere to
    fill the share ``fill`` of that field of view."""
    return radius / math.sin(fill * fov / 2.0)


def project_points(
    points_world: np.ndarray, camera_K: np.ndarray, camera_pose: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Projects (N,3) world points; returns (N,2) pixel coordinates and (N,) depth along the optical axis."""
    points = np.asarray(points_world, dtype=float).reshape(-1, 3)
    world_to_cam = np.linalg.inv(camera_pose)
    cam = points @ world_to_cam[:3, :3].T + world_to_cam[:3, 3]
    depth = cam[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = (cam @ np.asarray(camera_K, dtype=float).T)[:, :2] / depth[:, None]
    return uv, depth
