"""Label maths without Blender: boxes, depth encoding, intrinsics and projection."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.scenes.common.camera_math import blender_to_opencv_pose, intrinsics, look_at, project_points
from synthgen.scenes.common.color import kelvin_to_rgb
from synthgen.scenes.common.pixel_labels import bbox_from_mask, depth_to_millimetres, instance_mask, instance_records


def test_bbox_from_mask_uses_pixel_edges() -> None:
    mask = np.zeros((10, 12), np.uint8)
    mask[2:5, 3:9] = 1
    mask[7, 0] = 2
    assert bbox_from_mask(mask, 1) == [3.0, 2.0, 9.0, 5.0]
    assert bbox_from_mask(mask, 2) == [0.0, 7.0, 1.0, 8.0]
    assert bbox_from_mask(mask) == [0.0, 2.0, 9.0, 8.0]
    assert bbox_from_mask(mask, 3) is None


def test_instance_records_count_pixels_and_skip_hidden_instances() -> None:
    mask = np.zeros((4, 4), np.uint8)
    mask[0, :2] = 1
    records = instance_records(mask, {1: "box", 2: "bottle"})
    assert records == [{"id": 1, "class": "box", "bbox": [0.0, 0.0, 2.0, 1.0], "pixels": 2}]


def test_instance_mask_rejects_ids_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match=r"0\.\.255"):
        instance_mask(np.array([[300]], dtype=np.int32))


def test_depth_is_stored_in_millimetres_with_zero_for_nothing() -> None:
    depth = np.array([[0.0, 1.2344, 0.0006, 65.5, 70.0]], dtype=np.float32)
    encoded = depth_to_millimetres(depth)
    assert encoded.tolist() == [[0, 1234, 1, 65500, 0]]  # beyond 65.535 m cannot be stored: 0 = unknown
    assert encoded.dtype == np.uint16


def test_look_at_points_the_camera_at_its_target() -> None:
    location, target = np.array([1.0, -2.0, 1.5]), np.array([0.1, 0.2, 0.3])
    pose = blender_to_opencv_pose(look_at(location, target, roll_deg=10.0))
    K = intrinsics(50.0, 36.0, 24.0, "AUTO", 320, 240)
    uv, depth = project_points(target[None], K, pose)
    assert np.allclose(uv[0], [160.0, 120.0]) and depth[0] == pytest.approx(np.linalg.norm(target - location))
    assert np.allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3))


def test_intrinsics_follow_blender_sensor_fit() -> None:
    K = intrinsics(36.0, 36.0, 24.0, "AUTO", 640, 480)
    assert K[0, 0] == pytest.approx(640.0) and (K[0, 2], K[1, 2]) == (320.0, 240.0)
    K_tall = intrinsics(36.0, 36.0, 24.0, "AUTO", 480, 640)
    assert K_tall[0, 0] == pytest.approx(640.0)
    K_vertical = intrinsics(24.0, 36.0, 24.0, "VERTICAL", 640, 480)
    assert K_vertical[1, 1] == pytest.approx(480.0)


def test_a_point_right_and_below_the_axis_projects_right_and_down() -> None:
    pose = blender_to_opencv_pose(look_at(np.array([0.0, -5.0, 0.0]), np.zeros(3)))
    K = intrinsics(50.0, 36.0, 24.0, "AUTO", 100, 100)
    uv, _ = project_points(np.array([[0.5, 0.0, -0.5]]), K, pose)  # world +x is image right, world -z is down
    assert uv[0, 0] > 50 and uv[0, 1] > 50


def test_colour_temperature_runs_from_warm_to_cool() -> None:
    warm, daylight, cool = kelvin_to_rgb(2700), kelvin_to_rgb(6600), kelvin_to_rgb(10000)
    assert warm[0] == 1.0 and warm[2] < 0.4
    assert np.allclose(daylight, 1.0, atol=0.03)
    assert cool[2] == 1.0 and cool[0] < 0.9


def test_look_at_puts_the_up_hint_at_the_top_of_the_image() -> None:
    # Looking straight down at a hand whose fingers point along world +x: the fingers point up in the image.
    pose = blender_to_opencv_pose(look_at(np.array([0.0, 0.0, 1.0]), np.zeros(3), up_hint=np.array([1.0, 0, 0])))
    K = intrinsics(50.0, 36.0, 24.0, "AUTO", 100, 100)
    uv, _ = project_points(np.array([[0.1, 0.0, 0.0]]), K, pose)
    assert uv[0, 1] < 50 and abs(uv[0, 0] - 50) < 1e-6
