"""Where the hands scene's camera stands (pure maths): aimed at the palm along its normal (a palm scanner) or at
the whole hand from a sampled direction (orbit), tilted, and backed off until the framed points fill the view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.scenes.common.camera_math import framing_distance, horizontal_fov
from synthgen.scenes.common.sampling import euler_xyz_matrix

PALM_KEYPOINTS = [0, 1, 2, 5, 9, 13, 17]  # wrist, thumb base, finger MCPs: what a palm scanner frames


@dataclass(frozen=True)
class HandView:
    location: np.ndarray
    target: np.ndarray
    direction: np.ndarray  # unit, from the target towards the camera
    side: np.ndarray  # unit vectors across the view (the NIR LEDs sit in this plane round the lens)
    up: np.ndarray
    distance: float
    up_hint: np.ndarray | None  # palm mode: the hand's own up (wrist -> middle finger), else the world's


def frame_hand_camera(
    camera: dict[str, Any],
    keypoints: np.ndarray,
    palm_centre: np.ndarray,
    palm_normal: np.ndarray,
    rotation_deg: Sequence[float],
) -> HandView:
    """The camera of a hands spec's ``camera`` for the posed hand (world keypoints, palm centre and normal)."""
    if camera["mode"] == "palm":
        # A palm scanner frames the palm and the finger bases; fingers may run out of the frame.
        target, axis, framed = palm_centre, palm_normal, keypoints[PALM_KEYPOINTS]
    else:
        target = keypoints.mean(axis=0)
        axis = euler_xyz_matrix(rotation_deg) @ np.array(camera["view_dir_hand"])
        framed = keypoints
    axis = axis / np.linalg.norm(axis)
    # Tilt the view away from the axis by `tilt_deg` towards `azimuth_deg` around it.
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    side = np.cross(axis, helper)
    side /= np.linalg.norm(side)
    up = np.cross(side, axis)
    azimuth, tilt = math.radians(camera["azimuth_deg"]), math.radians(camera["tilt_deg"])
    direction = math.cos(tilt) * axis + math.sin(tilt) * (math.cos(azimuth) * side + math.sin(azimuth) * up)
    target = target + np.asarray(camera["target_offset_m"])
    extent = float(np.max(np.linalg.norm(framed - target, axis=1))) + 0.01
    fov = horizontal_fov(camera["focal_mm"], camera["sensor_mm"])
    distance = max(camera["min_distance_m"], framing_distance(extent, camera["fill"], fov))
    # A palm scanner sees the hand upright (fingers up, then rolled); an orbiting camera keeps the world's up.
    up_hint = keypoints[9] - keypoints[0] if camera["mode"] == "palm" else None
    return HandView(target + distance * direction, target, direction, side, up, distance, up_hint)
