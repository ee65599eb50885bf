"""The palm ROI alignment and the CompCode matcher on synthetic images with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.eval.data import palm_crop, palm_crop_matrix
from synthgen.eval.palm_matcher import CompCodeMatcher


def _hand(angle_deg: float) -> np.ndarray:
    """21 keypoints of a hand whose fingers point along ``angle_deg`` (image axes), wrist at (50, 50)."""
    a = np.radians(angle_deg)
    up, across = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    kp = np.tile([50.0, 50.0], (21, 1))
    kp[5] = kp[0] + 30 * up - 12 * across  # index MCP
    kp[17] = kp[0] + 30 * up + 12 * across  # pinky MCP
    return kp


@pytest.mark.parametrize("angle", [-90.0, 0.0, 45.0, 180.0])
def test_palm_crop_puts_the_knuckle_line_at_the_top(angle: float) -> None:
    kp, size = _hand(angle), 32
    matrix = palm_crop_matrix(kp, size)
    # crop continuous coordinates -> image continuous coordinates (undo OpenCV's half-pixel shift both ways)
    to_image = lambda x, y: matrix @ np.array([x - 0.5, y - 0.5, 1.0]) + 0.5  # noqa: E731
    assert to_image(size / 2, 0) == pytest.approx((kp[5] + kp[17]) / 2, abs=1e-6)  # top centre: MCP midpoint
    assert to_image(0, 0) == pytest.approx(kp[5], abs=1e-6)  # top left: index MCP (side = |p5 - p17| = 24)
    assert to_image(size, 0) == pytest.approx(kp[17], abs=1e-6)


def test_palm_crop_samples_the_image_there() -> None:
    image = np.zeros((100, 100), np.uint8)
    image[24:60, 30:70] = 255
    # The palm square of a hand pointing up (angle -90): x 38..62, y 20..44 (top edge on the MCP line at y 20),
    # at 1 px per crop pixel: crop rows 0..3 are y 20..24 (black), the rest white.
    crop = palm_crop(image, _hand(-90.0), 24)
    assert crop[5:].min() == 255 and crop[:3].max() == 0


def test_compcode_distances() -> None:
    rng = np.random.default_rng(0)
    matcher = CompCodeMatcher()
    size, cell = matcher.roi_size, matcher.stride
    lines = np.zeros((size, size), np.float32)
    for _ in range(8):  # dark lines at several orientations, like palm creases
        y, x = np.mgrid[0:size, 0:size]
        a = rng.uniform(0, np.pi)
        offset = rng.uniform(-0.3, 0.3) * size
        lines += np.exp(-(((x - size / 2) * np.sin(a) - (y - size / 2) * np.cos(a) - offset) ** 2) / 8.0)
    palm = 1.0 - 0.5 * np.clip(lines, 0, 1)
    shifted = np.roll(palm, (cell, -cell), axis=(0, 1))  # one code cell each way: within the shift search
    other = rng.uniform(0, 1, (size, size)).astype(np.float32)
    d = matcher.distances(matcher.encode(np.stack([palm, shifted, other])))
    assert d[0, 0] == 0 and np.allclose(d, d.T)
    assert d[0, 1] < 0.1  # the same palm moved a little: found by the shift search
    assert d[0, 2] > 0.3  # noise against lines: about chance (random codes average 0.5)


def _palm_3d(tilt_deg: float, distance_m: float = 0.2) -> np.ndarray:
    """Camera-frame joints of a right palm facing the camera, tilted by ``tilt_deg`` about the image x axis; the
    middle MCP (9) on the optical axis. Palm axes: u (index -> pinky) = -x (a right palm seen from its front has
    the thumb on the image right), v (wrist -> fingers) = -y tilted."""
    t = np.radians(tilt_deg)
    u, v = np.array([-1.0, 0.0, 0.0]), np.array([0.0, -np.cos(t), np.sin(t)])
    centre = np.array([0.0, 0.0, distance_m])
    kp = np.tile(centre, (21, 1))
    kp[0] = centre - 0.09 * v
    kp[5], kp[17] = centre - 0.04 * u, centre + 0.035 * u
    return kp


def test_surface_keypoints_undo_the_parallax_of_a_tilted_palm() -> None:
    from synthgen.scenes.hands.palm_textures import palm_frame_from_keypoints, palm_surface_keypoints

    f, depth = 500.0, 0.02
    k = np.array([[f, 0, 128], [0, f, 128], [0, 0, 1]])
    for tilt in (0.0, 20.0):
        kp3 = _palm_3d(tilt)
        normal = palm_frame_from_keypoints(kp3, "right")["normal"]
        assert normal[2] < 0  # the palmar side faces the camera
        kp2 = (kp3 @ k.T)[:, :2] / kp3[:, 2:3]
        moved = palm_surface_keypoints(kp2, kp3, k, "right", depth)
        # The skin over the middle MCP, depth along the normal towards the camera: where the camera sees it.
        skin = kp3[9] + depth * normal
        assert moved[9] == pytest.approx(f * skin[:2] / skin[2] + 128, abs=1e-6)
        shift = np.linalg.norm(moved[9] - kp2[9])
        # Parallax: f * depth * sin(tilt) / (distance - depth cos(tilt)); none head-on.
        expected = f * depth * np.sin(np.radians(tilt)) / (0.2 - depth * np.cos(np.radians(tilt)))
        assert shift == pytest.approx(expected, rel=1e-6)
