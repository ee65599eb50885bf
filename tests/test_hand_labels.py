"""Keypoint projection and visibility against rendered depth (pure, synthetic geometry)."""

from __future__ import annotations

import numpy as np

from synthgen.scenes.common.camera_math import blender_to_opencv_pose, intrinsics, look_at
from synthgen.scenes.hands.keypoints import DEPTH_TOLERANCE_M, keypoint_labels, keypoints_in_frame


def _camera() -> tuple[np.ndarray, np.ndarray]:
    pose = blender_to_opencv_pose(look_at(np.array([0.0, 0.0, 1.0]), np.zeros(3)))
    return intrinsics(50.0, 36.0, 24.0, "AUTO", 100, 100), pose


def test_a_point_on_the_visible_surface_is_visible_and_one_behind_it_is_not() -> None:
    K, pose = _camera()
    depth = np.full((100, 100), 1.0)  # a wall at z = 0, 1 m from the camera
    points = np.zeros((21, 3))
    points[:, 2] = -0.005  # just behind the wall's surface: within every tolerance
    points[8] = [0.0, 0.0, -0.2]  # 20 cm behind the wall: hidden
    points[12] = [5.0, 0.0, 0.0]  # far outside the field of view
    uv, xyz, visible = keypoint_labels(points, K, pose, depth)
    assert visible[0] and visible[4]
    assert not visible[8] and not visible[12]
    assert np.allclose(xyz[0], [0.0, 0.0, 1.005]) and np.allclose(uv[0], [50.0, 50.0])


def test_joint_centres_get_a_deeper_tolerance_than_tips() -> None:
    assert DEPTH_TOLERANCE_M.shape == (21,)
    tips = [4, 8, 12, 16, 20]
    assert DEPTH_TOLERANCE_M[tips].max() < DEPTH_TOLERANCE_M[[0, 5, 9]].min()


def test_points_where_nothing_was_rendered_are_not_occluded() -> None:
    K, pose = _camera()
    depth = np.zeros((100, 100))
    _, _, visible = keypoint_labels(np.zeros((21, 3)), K, pose, depth)
    assert visible.all()


def test_in_frame_uses_continuous_pixel_coordinates() -> None:
    points = np.array([[0.0, 0.0], [99.99, 50.0], [100.0, 50.0], [-0.01, 3.0]])
    assert keypoints_in_frame(points, 100, 100).tolist() == [True, True, False, False]
