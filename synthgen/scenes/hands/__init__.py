"""Pure (numpy/OpenCV, no bpy) parts of the hands generator: poses, identities, palm texture maps.

* :mod:`synthgen.scenes.hands.pose`: ``sample_hand_pose(rng, family)`` inside anatomical joint limits, ``check_pose``.
* :mod:`synthgen.scenes.hands.identity`: ``sample_identity(job_seed, identity_id)`` (shape, skin, creases, veins, nails,
  marks) and ``sample_variation(identity, rng)`` (per-sample jitter that never changes the identity).
* :mod:`synthgen.scenes.hands.skin`: skin albedo from melanin and blood (spectral model), Fitzpatrick calibration.
* :mod:`synthgen.scenes.hands.palm_textures`: ``render_palm_maps(identity, variation, size)`` in palm (u, v) space
  and the
  palm region/frame from keypoints.

Everything is seeded by generators passed in explicitly and returns plain JSON (or float32 arrays).
Palm coordinates: ``u`` 0 (thumb side) -> 1 (little-finger side), ``v`` 0 (wrist crease) -> 1 (finger bases),
the same for both hands. Map images: ``array[row, col]``, ``col = u * size``, ``row = (1 - v) * size``.
"""

from synthgen.scenes.hands.identity import sample_identity, sample_variation
from synthgen.scenes.hands.palm_textures import (
    compose_palm_albedo,
    palm_frame_from_keypoints,
    palm_roi_from_keypoints,
    render_palm_maps,
)
from synthgen.scenes.hands.pose import (
    JOINT_LIMITS,
    JOINT_NAMES,
    POSE_FAMILIES,
    check_pose,
    joint_angles,
    sample_family,
    sample_hand_pose,
)

__all__ = [
    "JOINT_LIMITS",
    "JOINT_NAMES",
    "POSE_FAMILIES",
    "check_pose",
    "compose_palm_albedo",
    "joint_angles",
    "palm_frame_from_keypoints",
    "palm_roi_from_keypoints",
    "render_palm_maps",
    "sample_family",
    "sample_hand_pose",
    "sample_identity",
    "sample_variation",
]
