"""Where an instrument is presented and how the attacker's hand grips it (pure maths, camera-free).

Frames are 4x4 local-to-world matrices. The presentation frame sits where the live palm would be: z out of the
palm (towards the camera), y along the fingers, tilted a little because a hand holds it not quite square.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthgen.scenes.common.sampling import axis_angle_matrix


def presentation_frame(
    keypoints_world: np.ndarray, palm_normal: Sequence[float], palm_centre: Sequence[float], tilt_deg: Sequence[float]
) -> np.ndarray:
    """The frame of an instrument shown in place of the palm: origin at the palm centre, z the palm normal, y
    from the wrist (keypoint 0) towards the middle finger's base (keypoint 9), tilted by ``tilt_deg`` (x, y)."""
    z = np.asarray(palm_normal, dtype=np.float64)
    y = keypoints_world[9] - keypoints_world[0]
    y = y - (y @ z) * z
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    rotation = axis_angle_matrix(y, tilt_deg[1]) @ axis_angle_matrix(x, tilt_deg[0]) @ np.stack([x, y, z], axis=1)
    frame = np.eye(4)
    frame[:3, :3] = rotation
    frame[:3, 3] = palm_centre
    return frame


def pinch_grip(keypoints_hand: np.ndarray, side: str, grip_xy: Sequence[float]) -> np.ndarray:
    """Hand frame -> instrument frame for a hand pinching the instrument at ``grip_xy`` (the instrument's local
    frame) from below: fingers up along it, thumb on the shown side. ``keypoints_hand`` are the posed keypoints in
    the hand frame (+Y fingers, palm -Z, thumb side -X for a right hand)."""
    pinch = 0.5 * (keypoints_hand[4] + keypoints_hand[8])
    thumb_side = np.array([-1.0 if side == "right" else 1.0, 0.0, 0.0])
    # Thumb side -> +z (towards the camera), fingers -> +y (up the sheet); the rows are the hand-frame directions
    # that become the instrument's x, y, z.
    to_sheet = np.stack([np.cross([0.0, 1.0, 0.0], thumb_side), [0.0, 1.0, 0.0], thumb_side])
    grip = np.array([grip_xy[0], grip_xy[1], 0.0])
    local = np.eye(4)
    local[:3, :3] = to_sheet
    local[:3, 3] = grip - to_sheet @ pinch
    return local
